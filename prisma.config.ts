/**
 * Prisma CLI configuration: migrations run through the js schema engine with a driver adapter
 * (Prisma's native engines cannot be downloaded here). DATABASE_URL picks SQLite or PostgreSQL,
 * and with it the schema + migrations folder of that provider.
 */
import path from "node:path";
import { defineConfig } from "prisma/config";
import { parseDatabaseUrl, defaultDatabaseUrl, DEFAULT_DATA_DIR } from "./lib/db-url";

process.env.CHECKPOINT_DISABLE = "1";
const target = parseDatabaseUrl(
  process.env.DATABASE_URL || defaultDatabaseUrl(process.env.DATA_DIR || DEFAULT_DATA_DIR),
);
// The schema's datasource reads DATABASE_URL; make the embedded default explicit for the CLI.
process.env.DATABASE_URL = target.url;
const dir = target.kind === "sqlite" ? "prisma" : path.join("prisma", "postgresql");

export default defineConfig({
  engine: "js",
  experimental: { adapter: true },
  schema: path.join(dir, "schema.prisma"),
  migrations: { path: path.join(dir, "migrations") },
  adapter: async () => {
    if (target.kind === "sqlite") {
      const { PrismaBetterSQLite3 } = await import("@prisma/adapter-better-sqlite3");

      return new PrismaBetterSQLite3({ url: target.file });
    }
    const pg = (await import("pg")).default;
    const { PrismaPg } = await import("@prisma/adapter-pg");
    const { CatalogTextClient } = await import("./lib/pg-migrate-fix");

    return new PrismaPg(new pg.Pool({ connectionString: target.url, Client: CatalogTextClient }));
  },
});
