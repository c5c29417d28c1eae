// `npm start`: the whole app on one box. Prepares a fresh clone (dependencies, Prisma clients, migrations),
// seeds demo data once, builds the web app when its sources changed, then runs and supervises three processes:
// the Next.js web server, the MLLP listener and the forwarder. A crashed process is restarted; SIGINT/SIGTERM
// stop all three gracefully. In production run the three as separate units instead (see README).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { prepare } from "./prepare.mjs";
import { ensureSystemPackages, RUNTIME_PACKAGES } from "./system-packages.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(ROOT, "node_modules/.bin", name);
process.env.NEXT_TELEMETRY_DISABLED = "1";
process.env.CHECKPOINT_DISABLE = "1";

const newestMtime = (p) => {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return fs.readdirSync(p).reduce((m, name) => Math.max(m, newestMtime(path.join(p, name))), st.mtimeMs);
};

const ensureBuilt = () => {
  const buildId = path.join(ROOT, ".next/BUILD_ID");
  const sources = ["app", "components", "lib", "public", "next.config.ts", "postcss.config.mjs", "package-lock.json"];
  const newest = Math.max(...sources.map((s) => newestMtime(path.join(ROOT, s))));
  if (fs.existsSync(buildId) && fs.statSync(buildId).mtimeMs > newest) return;
  console.log("[start] building the web app (next build)…");
  const r = spawnSync(bin("next"), ["build"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error("next build failed");
};

const main = async () => {
  await prepare();
  // Video (ffmpeg) and HEIC (heif-convert) need Debian tools: installed here when we may (root); otherwise the app
  // still starts and such uploads are refused with a message naming the missing tool.
  try {
    ensureSystemPackages(RUNTIME_PACKAGES);
  } catch (error) {
    console.warn(`[start] ${error.message}\n[start] video and HEIC uploads will be refused until then`);
  }
  const seed = spawnSync(bin("tsx"), ["scripts/cli.ts", "seed"], { cwd: ROOT, stdio: "inherit" });
  if (seed.status !== 0) throw new Error("seeding demo data failed");
  ensureBuilt();

  const port = process.env.PORT || "3000";
  const host = process.env.HOST || "0.0.0.0";
  const processes = {
    web: [bin("next"), ["start", "-p", port, "-H", host]],
    "mllp-listener": [bin("tsx"), ["lib/workers/mllp-listener.ts"]],
    forwarder: [bin("tsx"), ["lib/workers/forwarder.ts"]],
  };
  const children = new Map();
  let stopping = false;
  const launch = (name, delay = 1000) => {
    const [cmd, args] = processes[name];
    const child = spawn(cmd, args, { cwd: ROOT, stdio: "inherit", env: process.env });
    const started = Date.now();
    children.set(name, child);
    child.on("exit", (code, signal) => {
      children.delete(name);
      if (stopping) return;
      const next = Date.now() - started > 60_000 ? 1000 : Math.min(delay * 2, 30_000);
      console.error(`[start] ${name} exited (${signal ?? code}); restarting in ${next / 1000} s`);
      setTimeout(() => stopping || launch(name, next), next);
    });
  };
  Object.keys(processes).forEach((name) => launch(name));
  console.log(`[start] web on http://localhost:${port}, MLLP on port ${process.env.MLLP_PORT || 2575}`);

  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`[start] ${signal}: stopping…`);
    for (const child of children.values()) child.kill("SIGTERM");
    const force = setTimeout(() => {
      for (const child of children.values()) child.kill("SIGKILL");
      process.exit(1);
    }, 15_000);
    const check = setInterval(() => {
      if (children.size === 0) {
        clearInterval(check);
        clearTimeout(force);
        process.exit(0);
      }
    }, 100);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
};

main().catch((e) => {
  console.error(`[start] ${e.message}`);
  process.exit(1);
});
