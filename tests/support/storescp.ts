/**
 * dcmtk `storescp` as a child process on a free port, for DIMSE client tests: its options refuse associations
 * (--refuse), abort during or after a C-STORE (--abort-during, --abort-after), stall (--sleep-after), or accept
 * only uncompressed transfer syntaxes (the default without +xa). A missing binary fails the test naming the
 * Debian package; it never skips.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "./free-port";

export type TStorescp = {
  port: number;
  aet: string;
  /** Where received files are written (-od). */
  dir: string;
  /** Everything storescp printed so far (with -v). */
  output: () => string;
  /** Files received so far. */
  receivedFiles: () => string[];
  stop: () => Promise<void>;
};

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });

/**
 * Starts storescp with extra options (e.g. ["+xa"], ["--refuse"], ["--abort-during", "+xa"]).
 * @param options - storescp options placed before the port
 * @param env - extra environment, e.g. { TCP_NODELAY: "1" } (DCMTK disables Nagle on accepted sockets only then)
 */
export const startStorescp = async (options: string[] = [], env: Record<string, string> = {}): Promise<TStorescp> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-storescp-"));
  const port = await freePort();
  const aet = "STORESCP";
  let output = "";
  const child: ChildProcess = spawn("storescp", ["-v", "-aet", aet, "-od", dir, ...options, String(port)], {
    stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env },
  });
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  for (let i = 0; i < 100; i++) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    if (failed) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error((failed as NodeJS.ErrnoException).code === "ENOENT"
        ? "storescp is not installed: apt-get install -y --no-install-recommends dcmtk"
        : `storescp failed to start: ${failed.message}`);
    }
    if (child.exitCode !== null) {
      break;
    }
    if (await canConnect(port)) {
      return {
        port, aet, dir,
        output: () => output,
        receivedFiles: () => fs.readdirSync(dir).filter((f) => !f.startsWith(".")),
        stop: async () => {
          if (child.exitCode === null) {
            child.kill("SIGTERM");
            await exited;
          }
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    }
  }
  child.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
  throw new Error(`storescp did not listen on port ${port}:\n${output}`);
};
