/**
 * Database locked (reliability-matrix §5 row 12, SQLite only): another process holds `BEGIN IMMEDIATE` on the
 * database file for longer than the listener's busy timeout (5 s) during a burst. No AA may be sent for a message
 * while its commit is impossible; messages that hit the timeout get a negative "please resend" answer (or wait),
 * and succeed when resent after the lock is gone; nothing is lost.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asksForResend, generateAdtTraffic, runDriver, type TAckRecord } from "../../support/hl7-driver";
import { startListenerProcess, type TListenerProcess } from "../../support/hl7-listener-process";
import { freePort } from "../../support/free-port";
import { createTestDatabase, testEngine, type TTestDatabase } from "../../support/test-db";

const LOCK_MS = 7_000;

/**
 * A process that will hold a write lock on the SQLite file for `ms`: started (and connected) up front, so taking
 * the lock when the test asks is immediate — a burst is over in less time than starting Python takes.
 */
const prepareLockHolder = async (file: string, ms: number) => {
  const script = [
    "import sqlite3, sys, time",
    "c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)",
    "print('ready', flush=True)",
    "sys.stdin.readline()",
    "c.execute('BEGIN IMMEDIATE')",
    "print('locked', flush=True)",
    `time.sleep(${ms / 1000})`,
    "c.execute('COMMIT')",
    "print('released', flush=True)",
  ].join("\n");
  const child = spawn("python3", ["-c", script, file], { stdio: ["pipe", "pipe", "inherit"] });
  let output = "";
  let lockedAt = 0;
  let releasedAt = 0;
  const waiters: Array<() => void> = [];
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes("locked") && lockedAt === 0) {
      lockedAt = Date.now();
    }
    if (output.includes("released") && releasedAt === 0) {
      releasedAt = Date.now();
    }
    waiters.splice(0).forEach((w) => w());
  });
  const until = (word: string) =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => (output.includes(word) ? resolve() : void waiters.push(check));
      child.once("error", reject);
      check();
    });
  const released = new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => (code === 0 ? resolve(releasedAt) : reject(new Error(`lock holder exited ${code}`))));
  });
  await until("ready");

  return {
    /** Take the lock now; resolves once it is held. */
    take: async (): Promise<void> => {
      child.stdin.write("go\n");
      await until("locked");
    },
    lockedAt: (): number => lockedAt,
    released,
  };
};

describe.skipIf(testEngine() !== "sqlite")("SQLite locked by another process during a burst", () => {
  let t: TTestDatabase;
  let listener: TListenerProcess | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await listener?.kill();
    await t?.drop();
  });

  it("no AA while the lock is held; timed-out messages are answered negatively and succeed on resend", { timeout: 90_000 }, async () => {
    const traffic = generateAdtTraffic({ messages: 120, perPatient: 2, lanes: 4, seed: 5, withDischarge: false, prefix: "K" });
    const port = await freePort();
    listener = await startListenerProcess({ databaseUrl: t.url, dataDir: t.dataDir, port });
    // Create the facility first (concurrent first messages race on it; reported separately).
    const first = traffic.lanes[0]!.shift()!;
    expect((await runDriver({ port, lanes: [[first]], deadlineMs: 20_000 })).records.map((r) => r.code)).toEqual(["AA"]);

    const acks: Array<TAckRecord & { at: number }> = [];
    const file = t.url.replace(/^file:/, "");
    const lock = await prepareLockHolder(file, LOCK_MS);
    let taking: Promise<void> | undefined;
    const run = runDriver({
      port,
      lanes: traffic.lanes,
      deadlineMs: 60_000,
      ackTimeoutMs: 20_000,
      retryWhen: asksForResend,
      onAck: (record, acked) => {
        acks.push({ ...record, at: Date.now() });
        if (acked === 10 && taking === undefined) {
          taking = lock.take();
        }
      },
    });
    const result = await run;
    await taking;
    const releasedAt = await lock.released;
    const lockedAt = lock.lockedAt();
    console.info(
      `[lock] held ${releasedAt - lockedAt} ms; answers asking for a resend: ${result.retriedAcks.length}; ` +
        `AA while locked: ${acks.filter((a) => a.code === "AA" && a.at > lockedAt + 50 && a.at < releasedAt - 50).length}`,
    );
    expect(lockedAt).toBeGreaterThan(0);
    expect(result.unacked).toEqual([]);
    expect(result.records.filter((r) => r.code !== "AA")).toEqual([]);
    // A commit cannot happen while another process holds the write lock: no AA may arrive in that window
    // (50 ms margins for the time the lock holder's "locked"/"released" lines take to reach us).
    expect(acks.filter((a) => a.code === "AA" && a.at > lockedAt + 50 && a.at < releasedAt - 50).map((a) => a.controlId)).toEqual([]);
    expect(await listener.stop()).toBe(0);
    listener = undefined;
    const rows = await t.db.hl7Message.findMany({ select: { status: true } });
    expect(rows.filter((r) => r.status === "processed").length).toBe(traffic.messages.length);
  });
});
