/**
 * `npm run bench:adt` — ADT intake throughput, a benchmark (not a test).
 * In one run: the durable floor (scripts/mllp-durable-floor.mjs: append + fdatasync + ACK) and our MLLP listener
 * process on SQLite and on PostgreSQL, each fed BENCH_ADT_MESSAGES (default 10,000) realistic ADT messages over one
 * connection and over four, every message waiting for its ACK. Prints msg/s, p50/p99 ACK latency and the ratio to
 * the floor. Targets (issue 3): ≥ 1,000 msg/s and ≥ 0.5× the floor on one connection, p99 < 10 ms.
 * BENCH_ADT_ENGINES=sqlite limits the engines ("postgresql-nocache": PostgreSQL with ADT_ROW_CACHE=off, the listener
 * without its row cache, for comparison); BENCH_ADT_LANES=1 limits the connection counts; BENCH_ADT_PROFILE=<dir>
 * writes a V8 CPU profile of each listener run.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "../tests/support/free-port";
import { driverStats, envInt, generateAdtTraffic, runDriver } from "../tests/support/hl7-driver";
import { startListenerProcess } from "../tests/support/hl7-listener-process";
import { createTestDatabase } from "../tests/support/test-db";

type TRow = {
  target: string;
  lanes: number;
  messages: number;
  rate: number;
  p50: number;
  p99: number;
  /** Listener process CPU ms per message. */
  cpu?: number;
  /** PostgreSQL backend CPU ms per message (the listener's connections, from their start). */
  pgCpu?: number;
};

/** CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat; NaN when unreadable. */
const cpuMsOf = (pid: number): number => {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");

    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
};

const MESSAGES = envInt("BENCH_ADT_MESSAGES", 10_000);
const ENGINES = (process.env.BENCH_ADT_ENGINES ?? "sqlite,postgresql").split(",").map((s) => s.trim());
const LANES = (process.env.BENCH_ADT_LANES ?? "1,4").split(",").map(Number);

const drive = async (port: number, lanes: number, seed: number): Promise<Omit<TRow, "target">> => {
  const traffic = generateAdtTraffic({ messages: MESSAGES, lanes, seed, withDischarge: true, prefix: `B${seed}` });
  const result = await runDriver({ port, lanes: traffic.lanes, deadlineMs: 30 * 60_000 });
  if (result.unacked.length > 0 || result.misCorrelated > 0) {
    throw new Error(`${result.unacked.length} unacked, ${result.misCorrelated} mis-correlated`);
  }
  const s = driverStats(result);

  return { lanes, messages: result.records.length, rate: s.rate, p50: s.p50, p99: s.p99 };
};

/** CPU ms used so far by the PostgreSQL backends of the database's other connections (NaN on SQLite). */
const backendCpuMs = async (url: string): Promise<number> => {
  if (!url.startsWith("postgres")) {
    return NaN;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );

    return rows.reduce((sum: number, r: { pid: number }) => sum + cpuMsOf(r.pid), 0);
  } finally {
    await client.end();
  }
};

/**
 * The floor server (scripts/mllp-durable-floor.mjs) on a file, or on a PostgreSQL database (`pgUrl`: one INSERT per
 * message, committed before the ACK — the least any receiver that keeps its messages in PostgreSQL can do).
 */
const floorRows = async (pgUrl?: string): Promise<TRow[]> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-adt-floor-"));
  const port = await freePort();
  const target = pgUrl ?? path.join(dir, "messages.log");
  const child = spawn(process.execPath, ["scripts/mllp-durable-floor.mjs", String(port), target], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
  const rows: TRow[] = [];
  for (const lanes of LANES) {
    const pgBefore = pgUrl ? await backendCpuMs(pgUrl) : 0;
    const row = await drive(port, lanes, 100 + lanes);
    const pgCpu = pgUrl ? ((await backendCpuMs(pgUrl)) - pgBefore) / row.messages : undefined;
    rows.push({ target: pgUrl ? "PostgreSQL floor (1 INSERT + commit)" : "durable floor", ...row, pgCpu });
  }
  child.kill("SIGTERM");
  fs.rmSync(dir, { recursive: true, force: true });

  return rows;
};

/** The PostgreSQL floor on a fresh test database (shown when PostgreSQL is benchmarked). */
const pgFloorRows = async (): Promise<TRow[]> => {
  process.env.TEST_DB = "postgresql";
  const database = await createTestDatabase();
  await database.db.$disconnect();
  try {
    return await floorRows(database.url);
  } finally {
    await database.drop();
  }
};

const listenerRows = async (engine: string): Promise<TRow[]> => {
  const noCache = engine === "postgresql-nocache";
  process.env.TEST_DB = noCache ? "postgresql" : engine;
  const rows: TRow[] = [];
  for (const lanes of LANES) {
    const database = await createTestDatabase();
    await database.db.$disconnect();
    const port = await freePort();
    const profile = process.env.BENCH_ADT_PROFILE;
    const nodeArgs = profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [];
    const env = noCache ? { ADT_ROW_CACHE: "off" } : undefined;
    const listener = await startListenerProcess({ databaseUrl: database.url, dataDir: database.dataDir, port, nodeArgs, env });
    try {
      const cpuBefore = cpuMsOf(listener.pid);
      const row = await drive(port, lanes, 200 + lanes);
      const cpu = (cpuMsOf(listener.pid) - cpuBefore) / row.messages;
      rows.push({ target: `listener (${engine})`, ...row, cpu, pgCpu: await backendCpuMs(database.url) / row.messages });
    } finally {
      await listener.stop();
      await database.drop();
    }
  }

  return rows;
};

const main = async (): Promise<void> => {
  process.env.TEST_RUN_ID ??= `bench${process.pid}`;
  console.log(`bench:adt — ${MESSAGES} messages per run, ${os.cpus().length} cores`);
  const floor = await floorRows();
  const rows = [...floor];
  if (ENGINES.some((e) => e.startsWith("postgresql"))) {
    rows.push(...(await pgFloorRows()));
  }
  for (const engine of ENGINES) {
    rows.push(...(await listenerRows(engine)));
  }
  const floorRate = (lanes: number): number => floor.find((r) => r.lanes === lanes)?.rate ?? NaN;
  console.log("\n| target | connections | messages | msg/s | p50 ACK ms | p99 ACK ms | × floor | listener CPU ms/msg | PostgreSQL CPU ms/msg |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(`| ${r.target} | ${r.lanes} | ${r.messages} | ${r.rate.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(r.rate / floorRate(r.lanes)).toFixed(2)} | ${r.cpu === undefined ? "" : r.cpu.toFixed(3)} | ${r.pgCpu === undefined || Number.isNaN(r.pgCpu) ? "" : r.pgCpu.toFixed(3)} |`);
  }
  const { dropTemplates } = await import("../tests/support/template-db.mjs");
  await dropTemplates();
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
