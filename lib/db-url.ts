import path from "node:path";

/** Which database a DATABASE_URL points at, and how to reach it. Shared by the app, the workers and prisma.config.ts. */
export type TDatabaseTarget =
  | { kind: "sqlite"; file: string; url: string }
  | { kind: "postgresql"; url: string };

/**
 * Parse DATABASE_URL: `file:` → SQLite (relative paths are resolved against the working directory),
 * `postgresql://` / `postgres://` → PostgreSQL. Anything else is a configuration error.
 * @param url - the DATABASE_URL value
 */
export const parseDatabaseUrl = (url: string): TDatabaseTarget => {
  if (url.startsWith("file:")) {
    const raw = url.slice("file:".length).replace(/^\/\/(?=\/)/, "");
    if (!raw) {
      throw new Error("DATABASE_URL: a file: URL needs a path, e.g. file:./data/encounter-capture.db");
    }
    const file = path.resolve(raw);

    return { kind: "sqlite", file, url: `file:${file}` };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    return { kind: "postgresql", url };
  }
  throw new Error(`DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL)`);
};

/** Default DATA_DIR and DATABASE_URL of the embedded configuration. */
export const DEFAULT_DATA_DIR = "./data";
export const defaultDatabaseUrl = (dataDir: string): string =>
  `file:${path.join(path.resolve(dataDir), "encounter-capture.db")}`;
