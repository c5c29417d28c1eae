/**
 * Runs the whole app as a user would: `node scripts/start.mjs` (what `npm start` runs) with its own DATA_DIR,
 * ports and database, and waits until GET /api/health answers {"status":"ok"}.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { freePort } from "./free-port";

const ROOT = path.resolve(import.meta.dirname, "../..");

export type TAppProcess = {
  baseUrl: string;
  mllpPort: number;
  env: NodeJS.ProcessEnv;
  output: () => string;
  cli: (...args: string[]) => string;
  stop: () => Promise<void>;
};

/**
 * Start the app and wait for health.
 * @param opts - dataDir (scratch), databaseUrl, demoPassword
 */
export const startApp = async (opts: { dataDir: string; databaseUrl: string; demoPassword: string }): Promise<TAppProcess> => {
  const port = await freePort();
  const mllpPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    MLLP_PORT: String(mllpPort),
    DATA_DIR: opts.dataDir,
    DATABASE_URL: opts.databaseUrl,
    DEMO_PASSWORD: opts.demoPassword,
    LOG_LEVEL: "",
  };
  let out = "";
  const child: ChildProcess = spawn(process.execPath, ["scripts/start.mjs"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the app exited (${child.exitCode}) before it was healthy:\n${out.slice(-4000)}`);
    }
    const res = await fetch(`${baseUrl}/api/health`).catch(() => null);
    if (res?.status === 200 && ((await res.json()) as { status: string }).status === "ok") {
      break;
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the app did not become healthy in 120 s:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }

  return {
    baseUrl,
    mllpPort,
    env,
    output: () => out,
    cli: (...args: string[]) => {
      const r = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["scripts/cli.ts", ...args], { cwd: ROOT, env, encoding: "utf8" });
      if (r.status !== 0) {
        throw new Error(`cli ${args[0]} failed: ${r.stderr}`);
      }

      return r.stdout.trim();
    },
    stop: async () => {
      if (child.exitCode !== null) {
        return;
      }
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }, 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
};
