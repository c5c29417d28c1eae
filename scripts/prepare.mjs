// Makes a fresh clone runnable: installs npm dependencies when node_modules is missing, generates the Prisma
// clients when the schema changed, and applies pending migrations to DATABASE_URL (default: SQLite file under
// DATA_DIR). Uses only Node built-ins until the dependencies exist. Used by `npm start`, `npm test`, `npm run cli`.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = path.resolve(import.meta.dirname, "..");
const quiet = process.argv.includes("--quiet");
const say = (msg) => quiet || console.log(`[prepare] ${msg}`);

const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: quiet ? "pipe" : "inherit", env: { ...process.env, ...env } });
  if (r.status !== 0) {
    if (quiet) process.stderr.write(r.stdout ?? "", () => {}), process.stderr.write(r.stderr ?? "");
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status})`);
  }
};

export const ensureDependencies = () => {
  const stamp = path.join(ROOT, "node_modules", ".package-lock.json");
  const lock = path.join(ROOT, "package-lock.json");
  if (fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(lock).mtimeMs - 1000) return;
  say("installing npm dependencies (npm ci)…");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
};

const mtime = (p) => (fs.existsSync(p) ? fs.statSync(p).mtimeMs : 0);

export const ensurePrismaClients = () => {
  const schema = path.join(ROOT, "prisma/schema.prisma");
  const prisma = path.join(ROOT, "node_modules/.bin/prisma");
  const targets = [
    ["lib/generated/sqlite/client.ts", "prisma/schema.prisma", "file:./data/unused.db"],
    ["lib/generated/pg/client.ts", "prisma/postgresql/schema.prisma", "postgresql://localhost/unused"],
  ];
  for (const [out, file, url] of targets) {
    if (mtime(path.join(ROOT, out)) > mtime(schema) && mtime(path.join(ROOT, out)) > mtime(path.join(ROOT, file))) continue;
    say(`generating Prisma client ${out}`);
    run(prisma, ["generate", "--schema", file], { DATABASE_URL: url, CHECKPOINT_DISABLE: "1" });
  }
};

/** Names of migrations in the folder that the database has not finished yet (all of them for a new database). */
const pendingMigrations = async (url) => {
  const isSqlite = url.startsWith("file:");
  const dir = path.join(ROOT, isSqlite ? "prisma/migrations" : "prisma/postgresql/migrations");
  const wanted = fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, "migration.sql")));
  let done = [];
  try {
    if (isSqlite) {
      const file = url.slice(5);
      if (!fs.existsSync(file)) return wanted;
      const { default: Database } = await import("better-sqlite3");
      const db = new Database(file, { readonly: true });
      done = db.prepare("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL").all().map((r) => r.migration_name);
      db.close();
    } else {
      const { default: pg } = await import("pg");
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const r = await c.query("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL");
        done = r.rows.map((x) => x.migration_name);
      } finally {
        await c.end();
      }
    }
  } catch {
    return wanted; // no migrations table yet
  }
  return wanted.filter((m) => !done.includes(m));
};

export const databaseUrl = () => {
  const dataDir = path.resolve(process.env.DATA_DIR || "./data");
  const url = process.env.DATABASE_URL || `file:${path.join(dataDir, "encounter-capture.db")}`;
  if (url.startsWith("file:")) {
    const file = path.resolve(url.slice(5));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return `file:${file}`;
  }
  return url;
};

export const ensureMigrated = async () => {
  const url = databaseUrl();
  const pending = await pendingMigrations(url);
  if (pending.length === 0) return;
  say(`applying ${pending.length} migration(s) to the ${url.startsWith("file:") ? "SQLite" : "PostgreSQL"} database`);
  run(path.join(ROOT, "node_modules/.bin/prisma"), ["migrate", "deploy"], { DATABASE_URL: url, CHECKPOINT_DISABLE: "1" });
};

export const prepare = async () => {
  ensureDependencies();
  ensurePrismaClients();
  await ensureMigrated();
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  prepare().catch((e) => {
    console.error(`[prepare] ${e.message}`);
    process.exit(1);
  });
}
