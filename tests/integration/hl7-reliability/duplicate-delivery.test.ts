/**
 * Duplicate delivery against the listener process (reliability-matrix §5 row 3; §1.3): each of N messages is sent
 * three times — two copies racing on two connections at once, a third later on another connection — and has
 * exactly one effect (one Hl7Message row, one patient, one hl7.received audit event) while all three ACKs are
 * identical byte for byte. The same MSH-10 with a different body gets AE (ERR 207 at MSH-10), is kept apart, and
 * changes nothing; the original still gets its stored ACK afterwards.
 *
 * Size: HL7_DUP_MESSAGES (default 100).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frame } from "@/lib/hl7/mllp-framer";
import { envInt, generateAdtTraffic, hl7Field, runDriver, type TGeneratedMessage } from "../../support/hl7-driver";
import { startListenerProcess, type TListenerProcess } from "../../support/hl7-listener-process";
import { openWire, type TWire } from "../../support/hl7-wire";
import { freePort } from "../../support/free-port";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const MESSAGES = envInt("HL7_DUP_MESSAGES", 100);
const PAIRS = 4;

/** Send one framed message and wait for its answer. */
const roundTrip = async (wire: TWire, message: TGeneratedMessage): Promise<string> => {
  await wire.write(frame(message.payload));

  return (await wire.next(15_000)) ?? "(no ACK)";
};

describe("duplicate delivery against the listener process", () => {
  let t: TTestDatabase;
  let listener: TListenerProcess | undefined;
  let port: number;
  // One message per patient: admits only, so the copies' order never matters for the worklist.
  const traffic = generateAdtTraffic({ messages: 2 * MESSAGES, perPatient: 2, lanes: 1, seed: 77, withDischarge: false, prefix: "D" });
  const messages = traffic.messages.filter((m) => m.event !== "A08");
  const reused: TGeneratedMessage[] = messages.slice(0, 5).map((m) => {
    const text = m.text.replace(/\rPID\|([^\r]*)/, (pid) => pid.replace(/\|\|([^|^]*)\^/, "||Changed^"));

    return { ...m, text, payload: Buffer.from(text) };
  });
  beforeAll(async () => {
    t = await createTestDatabase();
    port = await freePort();
    listener = await startListenerProcess({ databaseUrl: t.url, dataDir: t.dataDir, port });
    // Create the facility first: concurrent first messages race on it (reported separately).
    const prime = generateAdtTraffic({ messages: 1, perPatient: 2, lanes: 1, seed: 78, withDischarge: false, prefix: "P" });
    const primed = await runDriver({ port, lanes: [prime.lanes[0]!.slice(0, 1)], deadlineMs: 30_000 });
    expect(primed.records.map((r) => r.code)).toEqual(["AA"]);
  });
  afterAll(async () => {
    await listener?.kill();
    await t?.drop();
  });

  it(`each of ${MESSAGES} messages sent 3× (two racing copies, one late): identical ACKs`, { timeout: 120_000 }, async () => {
    expect(messages.length).toBe(MESSAGES);
    const answers = new Map<string, string[]>(messages.map((m) => [m.controlId, []]));
    await Promise.all(
      Array.from({ length: PAIRS }, async (_, p) => {
        const [a, b] = await Promise.all([openWire(port), openWire(port)]);
        for (const message of messages.filter((_, i) => i % PAIRS === p)) {
          const acks = await Promise.all([roundTrip(a, message), roundTrip(b, message)]);
          answers.get(message.controlId)!.push(...acks);
        }
        a.destroy();
        b.destroy();
      }),
    );
    const late = await openWire(port);
    for (const message of messages) {
      answers.get(message.controlId)!.push(await roundTrip(late, message));
    }
    late.destroy();

    const wrong = messages
      .map((m) => ({ id: m.controlId, acks: answers.get(m.controlId)! }))
      .filter(({ id, acks }) => acks.length !== 3 || new Set(acks).size !== 1 || hl7Field(acks[0]!, "MSA", 1) !== "AA" || hl7Field(acks[0]!, "MSA", 2) !== id)
      .slice(0, 5);
    expect(wrong).toEqual([]);
  });

  it("the same MSH-10 with a different body gets AE 207 at MSH-10; the original still gets its stored ACK", async () => {
    const wire = await openWire(port);
    for (const [i, changed] of reused.entries()) {
      const ack = await roundTrip(wire, changed);
      expect([hl7Field(ack, "MSA", 1), hl7Field(ack, "MSA", 2)]).toEqual(["AE", changed.controlId]);
      expect(hl7Field(ack, "ERR", 2)).toBe("MSH^1^10");
      expect(hl7Field(ack, "ERR", 3).split("^")[0]).toBe("207");
      const original = await roundTrip(wire, messages[i]!);
      expect(hl7Field(original, "MSA", 1)).toBe("AA");
    }
    wire.destroy();
  });

  it("one effect per message: rows, patients and audit events counted after the listener stopped", async () => {
    expect(await listener!.stop()).toBe(0);
    listener = undefined;
    const rows = await t.db.hl7Message.findMany({ select: { controlId: true, status: true, ackCode: true } });
    const processed = rows.filter((r) => r.status === "processed");
    expect(processed.length).toBe(MESSAGES + 1);
    expect(new Set(processed.map((r) => r.controlId)).size).toBe(MESSAGES + 1);
    const apart = rows.filter((r) => r.status !== "processed");
    expect(apart.map((r) => [r.controlId, r.status, r.ackCode])).toEqual(reused.map(() => [null, "rejected", "AE"]));
    // The priming message is the first patient's visit too (same MRN and visit number as D00000001).
    expect(await t.db.patient.count()).toBe(MESSAGES);
    expect(await t.db.encounter.count()).toBe(MESSAGES);
    expect(await t.db.auditEvent.count({ where: { action: "hl7.received", outcome: 0 } })).toBe(MESSAGES + 1);
    // The reused ids changed nothing: no patient is called "Changed".
    expect(await t.db.patient.count({ where: { familyName: { startsWith: "Changed" } } })).toBe(0);
  });
});
