/**
 * Connection limits of the listener process (reliability-matrix §5 rows 9 and 11):
 * - a 10 MiB frame with no FS: the connection is closed at the 1 MiB cap, RSS stays bounded, frames before it are
 *   still ACKed, and a valid sender on another connection is unaffected;
 * - slow senders (1 byte/s, inside a frame or as garbage) are closed by the idle timeout (MLLP_IDLE_TIMEOUT_MS),
 *   although every byte is "activity";
 * - MLLP_MAX_CONNECTIONS refuses extra connections; the listener recovers when they close.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frame, MLLP_VT } from "@/lib/hl7/mllp-framer";
import { generateAdtTraffic, hl7Field, runDriver, type TGeneratedMessage } from "../../support/hl7-driver";
import { startListenerProcess, type TListenerProcess } from "../../support/hl7-listener-process";
import { openWire, type TWire } from "../../support/hl7-wire";
import { freePort } from "../../support/free-port";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const IDLE_MS = 1_500;
const MAX_CONNECTIONS = 12;
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const traffic = (prefix: string, messages: number, seed: number): TGeneratedMessage[] =>
  generateAdtTraffic({ messages, perPatient: 2, lanes: 1, seed, withDischarge: false, prefix }).lanes[0]!;

const ackLine = (ack: string | undefined): string => (ack ? `${hl7Field(ack, "MSA", 1)} ${hl7Field(ack, "MSA", 2)}` : "(none)");

describe("listener limits: oversize frames, slow senders, connection cap", () => {
  let t: TTestDatabase;
  let listener: TListenerProcess | undefined;
  let port: number;
  beforeAll(async () => {
    t = await createTestDatabase();
    port = await freePort();
    listener = await startListenerProcess({
      databaseUrl: t.url,
      dataDir: t.dataDir,
      port,
      env: { MLLP_IDLE_TIMEOUT_MS: String(IDLE_MS), MLLP_MAX_CONNECTIONS: String(MAX_CONNECTIONS) },
    });
  });
  afterAll(async () => {
    await listener?.kill();
    await t?.drop();
  });

  it("10 MiB frames without FS (3 at once) are cut off at the 1 MiB cap; RSS stays bounded; others unaffected", async () => {
    // Warm up so the baseline RSS includes the handler's code paths and a grown heap.
    await runDriver({ port, lanes: [traffic("W", 80, 1)], deadlineMs: 60_000 });
    const rssBefore = listener!.rssKiB();

    const valid = traffic("O", 26, 2);
    /** Two valid frames, then the start of a frame that never ends, written as fast as the socket takes it. */
    const oversize = async (before: TGeneratedMessage[]) => {
      const wire = await openWire(port);
      await wire.write(Buffer.concat(before.map((m) => frame(m.payload))));
      const started = Date.now();
      let written = 0;
      const chunk = Buffer.alloc(64 * 1024, "A".charCodeAt(0));
      await wire.write(Buffer.from([MLLP_VT]));
      while (written < 10 * MiB && !wire.isClosed() && Date.now() - started < 20_000) {
        const ok = wire.socket.write(chunk);
        written += chunk.length;
        if (!ok) {
          await Promise.race([new Promise((r) => wire.socket.once("drain", r)), wire.closed, sleep(2_000)]);
        }
      }
      await Promise.race([wire.closed, sleep(10_000)]);

      return { wire, before, written, ms: Date.now() - started };
    };
    const cut = Promise.all([0, 1, 2].map((i) => oversize(valid.slice(2 * i, 2 * i + 2))));
    // Meanwhile a valid sender on its own connection keeps getting AA.
    const others = await runDriver({ port, lanes: [valid.slice(6)], deadlineMs: 60_000 });
    const results = await cut;
    const rssAfter = listener!.rssKiB();
    console.info(
      `[limits] oversize ×3: closed=${results.map((r) => r.wire.isClosed()).join("/")} after ` +
        `${results.map((r) => r.ms).join("/")} ms, written=${results.map((r) => (r.written / MiB).toFixed(1)).join("/")} MiB, ` +
        `RSS ${(rssBefore / 1024).toFixed(0)} → ${(rssAfter / 1024).toFixed(0)} MiB`,
    );
    for (const { wire, before } of results) {
      expect(wire.isClosed()).toBe(true);
      expect([await wire.next(100), await wire.next(100)].map(ackLine)).toEqual(before.map((m) => `AA ${m.controlId}`));
      expect(await wire.next(100)).toBeUndefined();
    }
    expect(others.unacked).toEqual([]);
    expect(others.records.every((r) => r.code === "AA")).toBe(true);
    expect(others.records.filter((r) => r.attempts > 1)).toEqual([]);
    // Buffering the three frames would take ≥ 30 MiB.
    expect(rssAfter - rssBefore).toBeLessThan(25 * 1024);
  });

  it("slow senders (1 byte/s) are closed by the idle timeout; a normal sender is served meanwhile", async () => {
    const message = frame(traffic("L", 2, 3)[0]!.payload);
    const garbage = Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const slow: TWire[] = await Promise.all([0, 1, 2, 3, 4, 5].map(() => openWire(port)));
    const started = Date.now();
    const closedAt: number[] = [];
    const tricklers = slow.map(async (wire, i) => {
      const bytes = i % 2 === 0 ? message : garbage;
      for (let b = 0; b < bytes.length && !wire.isClosed() && Date.now() - started < 4 * IDLE_MS + 5_000; b += 1) {
        await wire.write(bytes.subarray(b, b + 1));
        await Promise.race([sleep(1_000), wire.closed]);
      }
      if (wire.isClosed()) {
        closedAt.push(Date.now() - started);
      }
    });
    const normal = await runDriver({ port, lanes: [traffic("K", 20, 4)], deadlineMs: 30_000 });
    await Promise.all(tricklers);
    console.info(`[limits] slow senders closed after ${closedAt.join(", ")} ms (idle timeout ${IDLE_MS} ms)`);
    expect(normal.unacked).toEqual([]);
    expect(closedAt.length).toBe(slow.length);
    expect(Math.max(...closedAt)).toBeLessThan(2 * IDLE_MS + 2_000);
    expect(slow.every((w) => w.frames.length === 0)).toBe(true);
  });

  it(`refuses connections beyond MLLP_MAX_CONNECTIONS=${MAX_CONNECTIONS} and recovers when they close`, async () => {
    const held: TWire[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i += 1) {
      held.push(await openWire(port));
    }
    const messages = traffic("X", 4, 5);
    // The cap is reached: a further connection is accepted by the kernel and closed by the listener at once.
    const extra = await openWire(port);
    await extra.write(frame(messages[0]!.payload));
    await Promise.race([extra.closed, sleep(2_000)]);
    expect(extra.isClosed()).toBe(true);
    expect(extra.frames).toEqual([]);
    // The held ones still work.
    await held[0]!.write(frame(messages[0]!.payload));
    expect(ackLine(await held[0]!.next(10_000))).toBe(`AA ${messages[0]!.controlId}`);
    // Close half of them: new connections are served again.
    for (const wire of held.splice(0, MAX_CONNECTIONS / 2)) {
      wire.destroy();
    }
    await sleep(200);
    const after = await runDriver({ port, lanes: [messages.slice(1, 2), messages.slice(2, 3), messages.slice(3)], deadlineMs: 20_000 });
    expect(after.unacked).toEqual([]);
    expect(after.refusedConnects).toBe(0);
    expect(after.records.map((r) => r.code)).toEqual(["AA", "AA", "AA"]);
    for (const wire of held) {
      wire.destroy();
    }
  });

  it("shuts down cleanly (SIGTERM → exit 0) after all that", async () => {
    expect(await listener!.stop()).toBe(0);
    listener = undefined;
  });
});
