/**
 * The listener as a process (`tsx lib/workers/mllp-listener.ts`): starts from the environment, logs "listening",
 * answers, and exits 0 on SIGTERM after removing its heartbeat.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frame } from "@/lib/hl7/mllp-framer";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const MLLP_SEND = "/usr/bin/mllp_send";

const freePort = async (): Promise<number> => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));

  return port;
};

describe("mllp-listener process", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    if (!fs.existsSync(MLLP_SEND)) {
      throw new Error(`${MLLP_SEND} not found: install the Debian package python3-hl7 (apt-get install -y python3-hl7)`);
    }
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  it("listens on MLLP_PORT, ACKs after commit and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["lib/workers/mllp-listener.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        LOG_LEVEL: "info",
        DATABASE_URL: t.url,
        DATA_DIR: t.dataDir,
        MLLP_PORT: String(port),
        MLLP_HOST: "127.0.0.1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening" line:\n${output}`)), 30_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", () => reject(new Error(`exited early:\n${output}`)));
    });
    expect(output).toContain(`"port":${port}`);
    expect(await t.db.workerHeartbeat.count({ where: { name: "mllp-listener" } })).toBe(1);

    const file = path.join(t.dataDir, "wound.mllp");
    fs.writeFileSync(file, frame(fs.readFileSync(path.join(ROOT, "tests/fixtures/hl7/a04-wound-care.hl7"))));
    const { stdout } = await promisify(execFile)(MLLP_SEND, ["-p", String(port), "-f", file, "127.0.0.1"]);
    expect(stdout).toContain("MSA|AA|WOUND0001");
    expect(await t.db.encounter.count({ where: { visitNumber: "V20240003" } })).toBe(1);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await t.db.workerHeartbeat.count({ where: { name: "mllp-listener" } })).toBe(0);
    expect(output).not.toContain("李");
  });
});
