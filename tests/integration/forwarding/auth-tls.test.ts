/**
 * STOW-RS authentication and TLS against real servers: Orthanc with basic auth (AuthenticationEnabled +
 * RegisteredUsers) behind HTTPS (a certificate made here with openssl, signed by a test CA, presented by a TLS
 * terminator: Debian's Orthanc 1.10.1 crashes with SIGSEGV on its first connection when SslEnabled is set);
 * bearer through a small proxy that checks the token in front of a second Orthanc. With the right CA and credentials delivery and "test connection" work; a wrong password or
 * token fails permanently (HTTP 401/403); without the CA nothing is sent and the reason names the certificate.
 * The secret never appears in logs, lastError or the settings read back for the form.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDestination, type TDestinationInput } from "@/lib/forwarding/create-destination";
import { getDestinationSettings } from "@/lib/forwarding/get-destination-settings";
import { runForwarder } from "@/lib/forwarding/run-forwarder";
import { testDestination } from "@/lib/forwarding/test-destination";
import { updateDestination } from "@/lib/forwarding/update-destination";
import { makeDicomFiles, seedDeliveries, waitFor } from "../../support/forwarding-fixtures";
import { startHttpProxy, type THttpProxy } from "../../support/http-proxy";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { startTlsTerminator, type TTlsTerminator } from "../../support/tls-terminator";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const run = promisify(execFile);
const FAST = { pollMs: 50, leaseMs: 10_000, timeoutMs: 5_000, retryPolicy: { baseMs: 100, capMs: 400 } };
const PASSWORD = "s3cret-Pa55word";
const TOKEN = "tok-0123456789abcdef";

/** A test CA and a server certificate for 127.0.0.1 signed by it. */
const makeCertificates = async (dir: string): Promise<{ caPem: string; key: string; cert: string }> => {
  const f = (name: string): string => path.join(dir, name);
  const openssl = (args: string[]): Promise<unknown> => run("openssl", args, { cwd: dir });
  await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=Encounter Capture Test CA"]);
  await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=127.0.0.1"]);
  fs.writeFileSync(f("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
  await openssl(["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.pem"), "-days", "2", "-extfile", f("ext.cnf")]);

  return { caPem: fs.readFileSync(f("ca.pem"), "utf8"), key: fs.readFileSync(f("server.key"), "utf8"), cert: fs.readFileSync(f("server.pem"), "utf8") };
};

describe("STOW-RS authentication and TLS", () => {
  let t: TTestDatabase;
  let secure: TOrthanc;
  let plain: TOrthanc;
  let terminator: TTlsTerminator;
  let secureUrl: string;
  let proxy: THttpProxy;
  let caPem: string;
  let dir: string;
  let logs: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-tls-"));
    const certs = await makeCertificates(dir);
    caPem = certs.caPem;
    [t, secure, plain] = await Promise.all([
      createTestDatabase(),
      startOrthanc({
        config: { AuthenticationEnabled: true, RegisteredUsers: { alice: PASSWORD } },
        user: { name: "alice", password: PASSWORD },
      }),
      startOrthanc(),
    ]);
    proxy = await startHttpProxy(plain.baseUrl, { bearerToken: TOKEN });
    terminator = await startTlsTerminator(secure.httpPort, certs);
    secureUrl = `${terminator.url}/dicom-web`;
    // Capture what the forwarder logs, to prove no secret is ever written.
    process.env.LOG_LEVEL = "debug";
    const keep = (chunk: unknown): boolean => {
      logs.push(String(chunk));

      return true;
    };
    process.stdout.write = keep as typeof process.stdout.write;
    process.stderr.write = keep as typeof process.stderr.write;
  });
  afterAll(async () => {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.env.LOG_LEVEL = "silent";
    await proxy?.close();
    await terminator?.close();
    await Promise.all([secure?.dispose(), plain?.dispose()]);
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Make `input` the only enabled destination, queue `count` new instances to it, run the forwarder until `done`. */
  const deliver = async (input: TDestinationInput, count: number, done: (statuses: string[], attempts: number[]) => boolean) => {
    await t.db.destination.updateMany({ data: { enabled: false } });
    const { id } = await createDestination(t.db, input);
    const files = await makeDicomFiles(t.dataDir, count, { subdir: input.name });
    const { instanceIds } = await seedDeliveries(t.db, files, {});
    const jobs = () => t.db.deliveryJob.findMany({ where: { instanceId: { in: instanceIds }, destinationId: id } });
    const forwarder = runForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    await waitFor(`jobs of ${input.name}`, async () => {
      const now = await jobs();

      return done(now.map((j) => j.status), now.map((j) => j.attempts));
    });
    await forwarder.stop();

    return { id, files, jobs: await jobs() };
  };

  it("delivers over HTTPS with the destination's CA and basic credentials, and the connection test passes", async () => {
    const { id, files, jobs } = await deliver(
      { name: "secure", url: secureUrl, authType: "basic", authUsername: "alice", authSecret: PASSWORD, caCertPem: caPem },
      3,
      (s) => s.every((x) => x === "stored"),
    );
    expect(jobs.map((j) => j.attempts)).toEqual([1, 1, 1]);
    expect((await secure.listSopInstanceUids()).sort()).toEqual(files.map((f) => f.sopInstanceUid).sort());
    expect(await testDestination(t.db, id)).toMatchObject({ ok: true, detail: "QIDO-RS answered HTTP 200" });
    const settings = await getDestinationSettings(t.db, id);
    expect(settings).toMatchObject({ authType: "basic", authUsername: "alice", hasSecret: true });
    expect(JSON.stringify(settings)).not.toContain(PASSWORD);
  });

  it("fails permanently with HTTP 401 on a wrong password", async () => {
    const { id, jobs } = await deliver(
      { name: "wrong-password", url: secureUrl, authType: "basic", authUsername: "alice", authSecret: "nope", caCertPem: caPem },
      2,
      (s) => s.every((x) => x === "failed"),
    );
    expect(jobs.map((j) => [j.attempts, j.lastError])).toEqual([[1, "HTTP 401"], [1, "HTTP 401"]]);
    const test = await testDestination(t.db, id);
    expect(test.ok).toBe(false);
    expect(test.detail).toMatch(/HTTP 401: check the destination's authentication/);
  });

  it("sends nothing without the CA and says the certificate was not accepted", async () => {
    const { id, jobs } = await deliver(
      { name: "no-ca", url: secureUrl, authType: "basic", authUsername: "alice", authSecret: PASSWORD },
      2,
      (s, attempts) => s.length === 2 && s.every((x) => x === "queued") && attempts.every((a) => a >= 1),
    );
    const after = await t.db.deliveryJob.findMany({ where: { destinationId: id } });
    for (const j of after) {
      expect(j.status).not.toBe("stored");
      expect(j.lastError).toMatch(/TLS certificate not accepted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\)/);
    }
    expect(jobs).toHaveLength(2);
    const test = await testDestination(t.db, id);
    expect(test.ok).toBe(false);
    expect(test.detail).toMatch(/TLS certificate not accepted/);
    // Adding the CA later (secret kept: empty on update) lets the waiting jobs through.
    await updateDestination(t.db, id, { name: "no-ca", url: secureUrl, authType: "basic", authUsername: "alice", authSecret: "", caCertPem: caPem });
    expect((await t.db.destination.findUniqueOrThrow({ where: { id } })).authSecret).toBe(PASSWORD);
    await t.db.deliveryJob.updateMany({ where: { destinationId: id }, data: { nextAttemptAt: new Date() } });
    const forwarder = runForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    await waitFor("stored after the CA was added", async () =>
      (await t.db.deliveryJob.findMany({ where: { destinationId: id } })).every((j) => j.status === "stored"), 20_000);
    await forwarder.stop();
  });

  it("sends a bearer token; a wrong one fails permanently with HTTP 403", async () => {
    const good = await deliver({ name: "bearer", url: `${proxy.url}/dicom-web`, authType: "bearer", authSecret: TOKEN }, 2, (s) => s.every((x) => x === "stored"));
    expect((await plain.listSopInstanceUids()).sort()).toEqual(good.files.map((f) => f.sopInstanceUid).sort());
    expect(await testDestination(t.db, good.id)).toMatchObject({ ok: true });
    const bad = await deliver({ name: "bearer-wrong", url: `${proxy.url}/dicom-web`, authType: "bearer", authSecret: "wrong-token" }, 1, (s) => s.every((x) => x === "failed"));
    expect(bad.jobs[0]?.lastError).toBe("HTTP 403");
  });

  it("never logs a password or token", () => {
    const all = logs.join("");
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(Buffer.from(`alice:${PASSWORD}`).toString("base64"));
  });
});
