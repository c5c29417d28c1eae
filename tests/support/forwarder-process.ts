/**
 * The forwarder as a real process (`tsx lib/workers/forwarder.ts`, as scripts/start.mjs runs it) for crash and
 * restart tests. It runs in its own process group: a signal sent to the group (signalGroup) reaches tsx and the
 * worker it spawns; `proc.kill("SIGTERM")` reaches tsx alone, which relays it to the worker and exits with its code.
 * Not `npx tsx`: npx dies on SIGTERM without passing it on, orphaning tsx and the worker (seen with npm 11).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { TTestDatabase } from "./test-db";

const ROOT = path.resolve(import.meta.dirname, "../..");

export type TForwarderProcess = { proc: ChildProcess; output: () => string; exit: Promise<number | null> };

/**
 * Start the forwarder on a test database.
 * @param t - the test database (DATABASE_URL, DATA_DIR)
 * @param env - LOG_LEVEL and FORWARDER_* tuning for the test
 * @param maxOutput - keep only the last this many characters of stdout + stderr (default: all)
 */
export const spawnForwarder = (t: TTestDatabase, env: Record<string, string>, maxOutput = Infinity): TForwarderProcess => {
  let output = "";
  const proc = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["lib/workers/forwarder.ts"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DATABASE_URL: t.url, DATA_DIR: t.dataDir, ...env },
  });
  const append = (c: Buffer): void => {
    output += c.toString();
    if (output.length > maxOutput) {
      output = output.slice(-maxOutput);
    }
  };
  proc.stdout?.on("data", append);
  proc.stderr?.on("data", append);
  const exit = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));

  return { proc, output: () => output, exit };
};

/**
 * Send a signal to the forwarder's whole process group (tsx and the worker).
 * @param child - a started forwarder
 * @param signal - e.g. SIGKILL, SIGSTOP, SIGCONT
 */
export const signalGroup = (child: TForwarderProcess, signal: NodeJS.Signals): void => {
  if (child.proc.pid) {
    process.kill(-child.proc.pid, signal);
  }
};
