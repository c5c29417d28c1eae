/**
 * A fresh, migrated database per test file, on the engine named by TEST_DB (sqlite | postgresql).
 * scripts/test.mjs migrates one template per run (prisma migrate deploy, the real migrations); each test file
 * gets a copy: a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openDb, type TDb } from "@/lib/db";
import { migrateTemplate, PG_ADMIN_URL, type TTestEngine } from "./template-db.mjs";

export type TTestDatabase = { url: string; engine: TTestEngine; db: TDb; dataDir: string; drop: () => Promise<void> };

export const testEngine = (): TTestEngine => (process.env.TEST_DB === "postgresql" ? "postgresql" : "sqlite");

/** Create a migrated, empty database and a scratch DATA_DIR for one test file. */
export const createTestDatabase = async (): Promise<TTestDatabase> => {
  const engine = testEngine();
  const template = await migrateTemplate(engine);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-test-"));
  let url: string;
  let dropDb = async (): Promise<void> => {};
  if (engine === "sqlite") {
    const file = path.join(dataDir, "test.db");
    fs.copyFileSync(template, file);
    url = `file:${file}`;
  } else {
    const name = `ec_test_${crypto.randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    await admin.end();
    url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
    dropDb = async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    };
  }
  const db = openDb(url);

  return {
    url,
    engine,
    db,
    dataDir,
    drop: async () => {
      await db.$disconnect();
      await dropDb();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
};
