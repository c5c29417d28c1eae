/**
 * The Prisma client for DATABASE_URL: SQLite (better-sqlite3 adapter, WAL) or PostgreSQL (pg adapter).
 * Both generated clients come from the same data model (prisma/schema.prisma), so they share one type.
 * A singleton per process; workers and the web app import this same module.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqliteClient } from "./generated/sqlite/client";
import { PrismaClient as PgClient } from "./generated/pg/client";
import { parseDatabaseUrl } from "./db-url";
import { getEnv } from "./env";

export type TDb = SqliteClient;
export type TTx = Parameters<Parameters<TDb["$transaction"]>[0]>[0];

const globalForDb = globalThis as unknown as { encounterCaptureDb?: { url: string; db: TDb } };
const urls = new WeakMap<object, string>();

/** The URL a client was opened with (openDb), e.g. for a driver-level store on the same database. */
export const databaseUrlOf = (db: TDb): string | undefined => urls.get(db);

/**
 * Open a client for a database URL (used directly by tests that need a second database).
 * @param url - file: or postgresql:// URL
 */
export const openDb = (url: string): TDb => {
  const target = parseDatabaseUrl(url);
  if (target.kind === "sqlite") {
    // timeout = SQLite busy_timeout: wait for another process's write lock instead of failing at once.
    const adapter = new PrismaBetterSQLite3({ url: target.file, timeout: 5000 });
    const db = new SqliteClient({ adapter });
    urls.set(db, url);

    return db;
  }
  const db = new PgClient({ adapter: new PrismaPg({ connectionString: target.url, max: 10 }) }) as unknown as TDb;
  urls.set(db, url);

  return db;
};

/** The process-wide client. SQLite gets WAL + synchronous=FULL on first use. */
export const getDb = (): TDb => {
  const url = getEnv().databaseUrl;
  if (!globalForDb.encounterCaptureDb || globalForDb.encounterCaptureDb.url !== url) {
    const db = openDb(url);
    globalForDb.encounterCaptureDb = { url, db };
  }

  return globalForDb.encounterCaptureDb.db;
};

/** Apply per-connection settings; call once at process start. */
export const prepareDb = async (db: TDb = getDb()): Promise<void> => {
  if (parseDatabaseUrl(getEnv().databaseUrl).kind === "sqlite") {
    await db.$queryRaw`PRAGMA journal_mode = WAL`;
    await db.$queryRaw`PRAGMA synchronous = FULL`;
    await db.$queryRaw`PRAGMA foreign_keys = ON`;
  }
};
