/**
 * Connection storm (reliability-matrix §5 row 11; Mirth connect#1990 "half-closed client → 100 % CPU"): many short
 * connections that close in every way a peer can — at once, half-closed after part of a frame, reset mid-frame,
 * half-closed after a whole message (which must still be ACKed). Afterwards the listener holds no leaked file
 * descriptors, does not spin the CPU while idle, and still serves valid traffic.
 *
 * Size: HL7_STORM_CONNECTIONS (default 400; a quarter of them carry a whole message).
 */
import fs from "node:fs";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frame } from "@/lib/hl7/mllp-framer";
import { envInt, generateAdtTraffic, hl7Field, runDriver } from "../../support/hl7-driver";
import { startListenerProcess, type TListenerProcess } from "../../support/hl7-listener-process";
import { openWire } from "../../support/hl7-wire";
import { freePort } from "../../support/free-port";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const CONNECTIONS = envInt("HL7_STORM_CONNECTIONS", 400);
const PARALLEL = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fdCount = (pid: number): number => fs.readdirSync(`/proc/${pid}/fd`).length;
/** Open sockets of a process whose local TCP port is `port` (the MLLP connections and the listening socket). */
const socketsOnPort = (pid: number, port: number): number => {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of fs.readFileSync(table, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && parseInt(cols[1]!.split(":")[1]!, 16) === port) {
        inodes.add(cols[9]!);
      }
    }
  }

  return fs
    .readdirSync(`/proc/${pid}/fd`)
    .map((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "";
      }
    })
    .filter((link) => inodes.has(/^socket:\[(\d+)\]$/.exec(link)?.[1] ?? "")).length;
};
/** CPU time (user + system) of a process in clock ticks. */
const cpuTicks = (pid: number): number => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");

  return Number(fields[11]) + Number(fields[12]);
};

describe("connection storm against the listener process", () => {
  let t: TTestDatabase;
  let listener: TListenerProcess | undefined;
  let port: number;
  beforeAll(async () => {
    t = await createTestDatabase();
    port = await freePort();
    listener = await startListenerProcess({ databaseUrl: t.url, dataDir: t.dataDir, port });
  });
  afterAll(async () => {
    await listener?.kill();
    await t?.drop();
  });

  it(`${CONNECTIONS} short connections closed every which way: no fd leak, no CPU spin, still serving`, { timeout: 120_000 }, async () => {
    const traffic = generateAdtTraffic({ messages: 2 * CONNECTIONS + 40, perPatient: 2, lanes: 1, seed: 31, withDischarge: false, prefix: "T" });
    const admits = traffic.messages.filter((m) => m.event !== "A08");
    const warm = await runDriver({ port, lanes: [[admits[0]!]], deadlineMs: 20_000 });
    expect(warm.records.map((r) => r.code)).toEqual(["AA"]);
    const pid = listener!.pid;
    await sleep(300);
    const fdBefore = fdCount(pid);
    const mllpBefore = socketsOnPort(pid, port);

    const halfClosedAcks: string[] = [];
    const expectedHalfClosed: string[] = [];
    const one = async (i: number): Promise<void> => {
      const kind = i % 4;
      if (kind === 3) {
        // A whole message, then half-close: the ACK must still come back.
        const message = admits[1 + i]!;
        expectedHalfClosed.push(message.controlId);
        const wire = await openWire(port);
        await wire.write(frame(message.payload));
        wire.socket.end();
        const ack = await wire.next(20_000);
        halfClosedAcks.push(ack ? `${hl7Field(ack, "MSA", 1)} ${hl7Field(ack, "MSA", 2)}` : "(none)");
        await Promise.race([wire.closed, sleep(5_000)]);
        wire.destroy();

        return;
      }
      const socket = net.connect({ port, host: "127.0.0.1" });
      socket.on("error", () => {});
      await new Promise<void>((resolve) => {
        socket.once("connect", () => resolve());
        socket.once("error", () => resolve());
      });
      const partial = frame(admits[1 + i]!.payload).subarray(0, 40);
      if (kind === 0) {
        socket.destroy();
      } else if (kind === 1) {
        socket.end(partial);
      } else {
        socket.write(partial);
        socket.resetAndDestroy();
      }
      await new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once("close", () => resolve())));
    };
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < CONNECTIONS) {
          await one(next++);
        }
      }),
    );
    const stormMs = Date.now() - started;

    // Let the listener settle, then measure: descriptors back to the baseline, CPU quiet while idle.
    await sleep(1_000);
    const fdAfter = fdCount(pid);
    const mllpAfter = socketsOnPort(pid, port);
    const ticks0 = cpuTicks(pid);
    await sleep(2_000);
    const idleTicks = cpuTicks(pid) - ticks0;
    const after = await runDriver({ port, lanes: [admits.slice(-10)], deadlineMs: 30_000 });
    console.info(
      `[storm] engine=${t.engine} ${CONNECTIONS} connections in ${stormMs} ms (${((CONNECTIONS / stormMs) * 1000).toFixed(0)}/s); ` +
        `fds ${fdBefore} → ${fdAfter} (MLLP sockets ${mllpBefore} → ${mllpAfter}); CPU while idle ${idleTicks} ticks in 2 s`,
    );
    expect(halfClosedAcks.sort()).toEqual(expectedHalfClosed.map((id) => `AA ${id}`).sort());
    // Only the listening socket is left on the MLLP port; other descriptors may grow by the database pool (≤ 10).
    expect(mllpAfter).toBe(mllpBefore);
    expect(mllpAfter).toBe(1);
    expect(fdAfter).toBeLessThanOrEqual(fdBefore + 10);
    expect(idleTicks).toBeLessThan(50);
    expect(after.records.map((r) => r.code)).toEqual(admits.slice(-10).map(() => "AA"));
    expect(listener!.pid).toBe(pid);
  });
});
