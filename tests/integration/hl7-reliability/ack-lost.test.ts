/**
 * ACK lost (reliability-matrix §5 rows 4 and 5): the sender drops 10 % of its connections right after writing a
 * message, before reading the ACK, then reconnects and resends, with patients' A01/A04 → A08 → A03 sequences
 * interleaved over 5 connections. Afterwards nothing is lost or applied twice: one Hl7Message row and one
 * hl7.received audit event per message, and the final worklist equals the last message of every patient.
 *
 * Size: HL7_ACKLOST_MESSAGES (default 300).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUPPORTED_ADT_EVENTS } from "@/lib/hl7/adt-event";
import { asksForResend, driverStats, envInt, generateAdtTraffic, runDriver, seededRandom } from "../../support/hl7-driver";
import { startListenerProcess, type TListenerProcess } from "../../support/hl7-listener-process";
import { freePort } from "../../support/free-port";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const MESSAGES = envInt("HL7_ACKLOST_MESSAGES", 300);

describe("ACK lost: the sender vanishes after writing, reconnects and resends", () => {
  let t: TTestDatabase;
  let listener: TListenerProcess | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await listener?.kill();
    await t?.drop();
  });

  it(`${MESSAGES} messages over 5 connections, 10 % of ACKs lost: applied exactly once, final state as sent`, { timeout: 150_000 }, async () => {
    const withDischarge = (SUPPORTED_ADT_EVENTS as readonly string[]).includes("A03");
    const traffic = generateAdtTraffic({ messages: MESSAGES, perPatient: 4, lanes: 5, seed: 99, withDischarge, prefix: "L" });
    const port = await freePort();
    listener = await startListenerProcess({ databaseUrl: t.url, dataDir: t.dataDir, port });
    const result = await runDriver({
      port,
      lanes: traffic.lanes,
      deadlineMs: 120_000,
      dropAfterWrite: 0.1,
      random: seededRandom(100),
      retryWhen: asksForResend,
    });
    const stats = driverStats(result);
    console.info(
      `[ack-lost] engine=${t.engine} messages=${traffic.messages.length} dropped=${result.dropped} resent=${result.resent} ` +
        `retriedAE=${result.retriedAcks.length} rate=${stats.rate.toFixed(0)} msg/s p50=${stats.p50.toFixed(1)} ms p99=${stats.p99.toFixed(1)} ms`,
    );
    expect(result.unacked).toEqual([]);
    expect(result.misCorrelated).toBe(0);
    expect(result.dropped).toBeGreaterThan(traffic.messages.length / 20);
    expect(result.records.filter((r) => r.code !== "AA")).toEqual([]);
    expect(await listener.stop()).toBe(0);
    listener = undefined;

    const rows = await t.db.hl7Message.findMany({ select: { controlId: true, status: true } });
    expect(rows.length).toBe(traffic.messages.length);
    expect(rows.every((r) => r.status === "processed")).toBe(true);
    // Successful applications only (an AE "please resend" is audited too, with outcome 4).
    expect(await t.db.auditEvent.count({ where: { action: "hl7.received", outcome: 0 } })).toBe(traffic.messages.length);
    expect(await t.db.patient.count()).toBe(traffic.expected.size);
    const encounters = await t.db.encounter.findMany({
      select: { visitNumber: true, status: true, pointOfCare: true, room: true, bed: true, patient: { select: { mrn: true, familyName: true, givenName: true } } },
    });
    const actual = new Map(
      encounters.map((e) => [
        e.visitNumber,
        { mrn: e.patient.mrn, visitNumber: e.visitNumber, status: e.status, familyName: e.patient.familyName, givenName: e.patient.givenName, pointOfCare: e.pointOfCare, room: e.room, bed: e.bed },
      ]),
    );
    expect(actual.size).toBe(traffic.expected.size);
    const differences = [...traffic.expected.values()].filter((want) => JSON.stringify(actual.get(want.visitNumber)) !== JSON.stringify(want));
    expect(differences.slice(0, 5)).toEqual([]);
  });
});
