/**
 * Burst + kill -9 (reliability-matrix §5 row 2, issue 3 "crash test"): synthetic ADT traffic over 20 connections
 * while the listener process is SIGKILLed several times at random moments and restarted; the driver reconnects and
 * resends every message it has no ACK for. Afterwards:
 * - every message ACKed AA is in Hl7Message with status processed (AA only after a durable commit);
 * - no patient or encounter is duplicated (counts equal the distinct MRNs / visits sent);
 * - the final worklist equals the state computed from what was sent (each patient's messages on one connection).
 *
 * One more restart is graceful (SIGTERM → exit 0) at a random moment among the kills.
 * Size: HL7_CRASH_MESSAGES (default 1,000), HL7_CRASH_CONNECTIONS (20), HL7_CRASH_KILLS (4), HL7_CRASH_TERMS (1),
 * HL7_CRASH_SEED.
 * The 10,000-message run: HL7_CRASH_MESSAGES=10000 (allow several minutes; HL7_CRASH_DEADLINE_MS).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUPPORTED_ADT_EVENTS } from "@/lib/hl7/adt-event";
import {
  asksForResend,
  driverStats,
  envInt,
  generateAdtTraffic,
  hl7Field,
  runDriver,
  seededRandom,
} from "../../support/hl7-driver";
import { startListenerProcess, type TListenerProcess } from "../../support/hl7-listener-process";
import { freePort } from "../../support/free-port";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const MESSAGES = envInt("HL7_CRASH_MESSAGES", 1_000);
const CONNECTIONS = envInt("HL7_CRASH_CONNECTIONS", 20);
const KILLS = envInt("HL7_CRASH_KILLS", 4);
/** Graceful restarts (SIGTERM: finish the message in progress, ACK it, exit 0) mixed in among the kills. */
const TERMS = envInt("HL7_CRASH_TERMS", 1);
const SEED = envInt("HL7_CRASH_SEED", 20_260_315);
const DEADLINE_MS = envInt("HL7_CRASH_DEADLINE_MS", 150_000);

describe("crash test: SIGKILL the listener during a burst", () => {
  let t: TTestDatabase;
  let listener: TListenerProcess | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await listener?.kill();
    await t?.drop();
  });

  it(
    `${MESSAGES} ADT messages over ${CONNECTIONS} connections, ${KILLS} × kill -9 + ${TERMS} × SIGTERM: nothing ACKed is lost, nothing duplicated`,
    { timeout: DEADLINE_MS + 60_000 },
    async () => {
      const withDischarge = (SUPPORTED_ADT_EVENTS as readonly string[]).includes("A03");
      const traffic = generateAdtTraffic({ messages: MESSAGES, lanes: CONNECTIONS, seed: SEED, withDischarge });
      const total = traffic.messages.length;
      const random = seededRandom(SEED + 1);
      // Fault points: ACK counts spread over the run with jitter, so faults land at random moments of the burst.
      const signals: NodeJS.Signals[] = [...Array.from({ length: KILLS }, () => "SIGKILL" as const), ...Array.from({ length: TERMS }, () => "SIGTERM" as const)];
      for (let i = signals.length - 1; i > 0; i -= 1) {
        const j = Math.floor(random() * (i + 1));
        [signals[i], signals[j]] = [signals[j]!, signals[i]!];
      }
      const killAt = signals.map((signal, k) => ({
        signal,
        at: Math.floor(((k + 0.4 + random() * 0.5) / (signals.length + 1)) * total),
      }));
      const termExitCodes: Array<number | null> = [];
      const port = await freePort();
      const start = () => startListenerProcess({ databaseUrl: t.url, dataDir: t.dataDir, port });
      listener = await start();
      const killTimes: number[] = [];
      let restarting: Promise<void> | undefined;
      let restartError: unknown;
      const pids = [listener.pid];

      const restartMs: number[] = [];
      const restart = async (signal: NodeJS.Signals): Promise<void> => {
        if (signal === "SIGTERM") {
          termExitCodes.push(await listener!.stop());
        } else {
          await listener!.kill();
          killTimes.push(Date.now());
        }
        await new Promise((r) => setTimeout(r, 50 + Math.floor(random() * 400)));
        const t0 = Date.now();
        listener = await start();
        restartMs.push(Date.now() - t0);
        pids.push(listener.pid);
      };

      const result = await runDriver({
        port,
        lanes: traffic.lanes,
        deadlineMs: DEADLINE_MS,
        ackTimeoutMs: 10_000,
        // AE "please resend" = a database error (e.g. two connections creating the same Facility row at once):
        // a sender resends it unchanged. Counted and printed below.
        retryWhen: asksForResend,
        onAck: (_record, acked) => {
          if (restarting === undefined && killAt.length > 0 && acked >= killAt[0]!.at) {
            const { signal } = killAt.shift()!;
            // Kill after a random sub-millisecond-to-20 ms delay, so a commit may be in flight on many connections.
            restarting = new Promise<void>((r) => setTimeout(r, Math.floor(random() * 20)))
              .then(() => restart(signal))
              .catch((error: unknown) => {
                restartError = error;
              })
              .finally(() => {
                restarting = undefined;
              });
          }
        },
      });
      await restarting;
      expect(restartError).toBeUndefined();
      expect(await listener.stop()).toBe(0);

      const stats = driverStats(result);
      const codes = new Map<string, number>();
      for (const r of result.records) {
        codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
      }
      console.info(
        `[crash] engine=${t.engine} messages=${total} connections=${CONNECTIONS} kills=${killTimes.length} terms=${termExitCodes.length} ` +
          `elapsed=${result.elapsedMs} ms rate=${stats.rate.toFixed(0)} msg/s (incl. restarts) ` +
          `p50=${stats.p50.toFixed(1)} ms p99=${stats.p99.toFixed(1)} ms max=${stats.max.toFixed(0)} ms ` +
          `resent=${result.resent} reconnects=${result.reconnects} refusedConnects=${result.refusedConnects} ` +
          `restart=${restartMs.join("/")} ms retriedAE=${result.retriedAcks.length} ` +
          `codes=${JSON.stringify(Object.fromEntries(codes))} A03=${withDischarge}`,
      );
      if (result.retriedAcks.length > 0) {
        const reasons = new Map<string, number>();
        for (const { ack } of result.retriedAcks) {
          const text = hl7Field(ack, "MSA", 3) || hl7Field(ack, "ERR", 8);
          reasons.set(text, (reasons.get(text) ?? 0) + 1);
        }
        console.info(`[crash] answers that asked for a resend: ${JSON.stringify(Object.fromEntries(reasons))}`);
      }

      // The driver finished: every message got an ACK, each matched by MSA-2, and every one of them AA.
      expect(result.unacked).toEqual([]);
      expect(result.misCorrelated).toBe(0);
      expect(killTimes.length).toBe(KILLS);
      expect(termExitCodes).toEqual(Array.from({ length: TERMS }, () => 0));
      expect(new Set(pids).size).toBe(KILLS + TERMS + 1);
      const notAa = result.records.filter((r) => r.code !== "AA").map((r) => `${r.controlId} ${r.code}: ${r.ack}`);
      expect(notAa).toEqual([]);

      // The listener is stopped: reading the database from here cannot block a writer.
      const rows = await t.db.hl7Message.findMany({ select: { controlId: true, status: true } });
      const processed = new Set(rows.filter((r) => r.status === "processed").map((r) => r.controlId));
      const lost = result.records.filter((r) => r.code === "AA" && !processed.has(r.controlId));
      expect(lost.map((r) => r.controlId)).toEqual([]);
      expect(processed.size).toBe(total);
      expect(rows.filter((r) => r.status !== "processed")).toEqual([]);

      expect(await t.db.patient.count()).toBe(traffic.expected.size);
      expect(await t.db.encounter.count()).toBe(traffic.expected.size);
      const encounters = await t.db.encounter.findMany({
        select: {
          visitNumber: true,
          status: true,
          pointOfCare: true,
          room: true,
          bed: true,
          patient: { select: { mrn: true, familyName: true, givenName: true } },
        },
      });
      const actual = new Map(
        encounters.map((e) => [
          e.visitNumber,
          {
            mrn: e.patient.mrn,
            visitNumber: e.visitNumber,
            status: e.status,
            familyName: e.patient.familyName,
            givenName: e.patient.givenName,
            pointOfCare: e.pointOfCare,
            room: e.room,
            bed: e.bed,
          },
        ]),
      );
      const differences = [...traffic.expected.values()]
        .filter((want) => JSON.stringify(actual.get(want.visitNumber)) !== JSON.stringify(want))
        .slice(0, 5)
        .map((want) => ({ want, got: actual.get(want.visitNumber) }));
      expect(differences).toEqual([]);
    },
  );
});
