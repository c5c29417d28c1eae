/**
 * The MLLP listener as a real process for reliability tests: `node --import tsx lib/workers/mllp-listener.ts`.
 * Node is started directly (not through the tsx CLI, which runs the script in a child process): the pid we signal
 * (SIGKILL, SIGTERM) and whose /proc/<pid>/status we read is the listener itself.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

export type TListenerProcess = {
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** The last lines the process wrote (stdout and stderr), for failure messages. */
  output: () => string;
  /** VmRSS in KiB from /proc/<pid>/status (0 when the process is gone). */
  rssKiB: () => number;
  /** SIGKILL and wait for the exit. */
  kill: () => Promise<void>;
  /** SIGTERM (graceful) and wait for the exit; SIGKILL after timeoutMs. */
  stop: (timeoutMs?: number) => Promise<number | null>;
};

export type TListenerProcessOptions = {
  databaseUrl: string;
  dataDir: string;
  port: number;
  /** Extra environment (MLLP_IDLE_TIMEOUT_MS, MLLP_MAX_CONNECTIONS …). */
  env?: Record<string, string>;
  /** Extra node arguments, e.g. ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] (bench:adt's BENCH_ADT_PROFILE). */
  nodeArgs?: string[];
  /** Wait this long for "listening". Default 30 s. */
  startTimeoutMs?: number;
};

/** VmRSS (KiB) of a process, 0 when it cannot be read. */
export const rssKiBOf = (pid: number): number => {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));

    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
};

/**
 * Start the listener and wait until it logs "listening".
 * @param options - database, data dir, port, extra env
 */
export const startListenerProcess = async (options: TListenerProcessOptions): Promise<TListenerProcess> => {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", "lib/workers/mllp-listener.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: "info",
      DATABASE_URL: options.databaseUrl,
      DATA_DIR: options.dataDir,
      MLLP_PORT: String(options.port),
      MLLP_HOST: "127.0.0.1",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let partial = "";
  let listening = false;
  let onListening = (): void => {};
  const onData = (chunk: Buffer): void => {
    const text = partial + chunk.toString();
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      if (!listening && line.includes('"msg":"listening"')) {
        listening = true;
        onListening();
      }
      // Keep only the interesting tail: per-message info lines are frequent.
      if (!line.includes('"msg":"message applied"') && !line.includes('"msg":"connection')) {
        lines.push(line);
        if (lines.length > 200) {
          lines.shift();
        }
      }
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const output = (): string => [...lines, partial].join("\n");

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`listener did not log "listening" within ${options.startTimeoutMs ?? 30_000} ms:\n${output()}`));
    }, options.startTimeoutMs ?? 30_000);
    onListening = () => {
      clearTimeout(timer);
      resolve();
    };
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`listener exited (${code}) before listening:\n${output()}`));
    });
  });

  const pid = child.pid!;

  return {
    pid,
    child,
    exited,
    output,
    rssKiB: () => rssKiBOf(pid),
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
    stop: async (timeoutMs = 15_000) => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);

      return code;
    },
  };
};
