// Migrates one template database per engine and test run, with the project's real migrations
// (prisma migrate deploy through prisma.config.ts). Used by scripts/test.mjs and tests/support/test-db.ts.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";

/** @typedef {"sqlite" | "postgresql"} TTestEngine */
export const PG_ADMIN_URL = process.env.TEST_PG_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
const ROOT = path.resolve(import.meta.dirname, "../..");

const migrate = (url) =>
  execFileSync(path.join(ROOT, "node_modules/.bin/prisma"), ["migrate", "deploy"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1" },
    stdio: "pipe",
  });

/**
 * The template for an engine: a migrated SQLite file path, or a PostgreSQL database name.
 * Created once per run (keyed by TEST_RUN_ID, set by scripts/test.mjs) and reused by later test files.
 * @param {TTestEngine} engine
 * @returns {Promise<string>}
 */
export const migrateTemplate = async (engine) => {
  const run = process.env.TEST_RUN_ID || `solo${process.pid}`;
  if (engine === "sqlite") {
    const file = path.join(os.tmpdir(), `ec-template-${run}.db`);
    if (!fs.existsSync(file)) {
      const tmp = `${file}.${process.pid}.tmp`;
      migrate(`file:${tmp}`);
      fs.renameSync(tmp, file);
    }
    return file;
  }
  const name = `ec_template_${run}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN_URL} (${e.message}); start it or set TEST_PG_URL`);
  }
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  if (exists.rowCount === 0) {
    await admin.query(`CREATE DATABASE "${name}"`);
    migrate(PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`));
  }
  await admin.end();
  return name;
};

/** Drop this run's PostgreSQL template (end of run). */
export const dropTemplates = async () => {
  const run = process.env.TEST_RUN_ID;
  if (!run) return;
  fs.rmSync(path.join(os.tmpdir(), `ec-template-${run}.db`), { force: true });
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "ec_template_${run.toLowerCase()}" WITH (FORCE)`);
  } catch {
    // PostgreSQL not used in this run
  } finally {
    await admin.end().catch(() => {});
  }
};
