/**
 * Outcomes against a scripted STOW-RS stand-in (node:http): a permanent rejection ends `failed` after one
 * request; a corrupted local file is never sent; transient answers are retried on the backoff schedule until
 * stored; past the retry horizon a job fails with its last error.
 */
import fs from "node:fs";
import http from "node:http";
import type net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runForwarder, type TForwarder } from "@/lib/forwarding/run-forwarder";
import { makeDicomFiles, seedDeliveries, waitFor } from "../../support/forwarding-fixtures";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

type TReply = { status: number; failure?: number; referenced?: boolean; delayMs?: number };

/** Answers each request with the next scripted reply (the last one repeats) about the UIDs it was sent. */
const startFakeArchive = async (script: TReply[]) => {
  const requests: { at: number; uids: string[] }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      // Our test files carry their UIDs as plain text (UI VR), so a regex finds them without a DICOM parser
      // (study and series UIDs match too; answering about them is harmless).
      const uids = [...new Set(Buffer.concat(chunks).toString("latin1").match(/2\.25\.\d{20,}/g) ?? [])];
      requests.push({ at: Date.now(), uids });
      const reply = script[Math.min(requests.length - 1, script.length - 1)] as TReply;
      await new Promise((r) => setTimeout(r, reply.delayMs ?? 0));
      const item = (uid: string) => ({ "00081155": { vr: "UI", Value: [uid] }, ...(reply.failure ? { "00081197": { vr: "US", Value: [reply.failure] } } : {}) });
      const body = reply.referenced
        ? { "00081199": { vr: "SQ", Value: uids.map(item) } }
        : { "00081198": { vr: "SQ", Value: reply.failure ? uids.map(item) : [] } };
      res.writeHead(reply.status, { "Content-Type": "application/dicom+json" });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));

  return { server, requests, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/dicom-web` };
};

describe("delivery outcomes", () => {
  let t: TTestDatabase;
  let forwarder: TForwarder | undefined;
  let archive: Awaited<ReturnType<typeof startFakeArchive>> | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterEach(async () => {
    await forwarder?.stop();
    forwarder = undefined;
    archive?.server.closeAllConnections();
    await new Promise((r) => (archive ? archive.server.close(r) : r(undefined)));
    archive = undefined;
    // Each test has its own archive: later instances must not be queued to an earlier test's (closed) one.
    await t.db.destination.updateMany({ data: { enabled: false } });
  });
  afterAll(async () => t?.drop());

  const start = (retryPolicy: { baseMs: number; horizonMs?: number }, leaseMs = 60_000): TForwarder =>
    runForwarder({ db: t.db, dataDir: t.dataDir, pollMs: 20, timeoutMs: 5_000, retryPolicy, leaseMs });
  const statusOf = async (instanceId: string | undefined): Promise<string | undefined> =>
    (await t.db.deliveryJob.findFirst({ where: { instanceId } }))?.status;

  it("fails at once, with the reason and one audit event, on 409 with a Cxxx FailureReason", async () => {
    archive = await startFakeArchive([{ status: 409, failure: 0xc000 }]);
    const files = await makeDicomFiles(t.dataDir, 1, { subdir: "permanent" });
    const { instanceIds, patientId, destinationIds } = await seedDeliveries(t.db, files, { "rejecting-archive": archive.url });
    forwarder = start({ baseMs: 50 });
    await waitFor("the job to fail", async () => (await statusOf(instanceIds[0])) === "failed");
    await new Promise((r) => setTimeout(r, 500));
    const job = await t.db.deliveryJob.findFirstOrThrow({ where: { instanceId: instanceIds[0], destinationId: destinationIds[0] } });
    expect(job).toMatchObject({ status: "failed", attempts: 1, lockedBy: null, leaseUntil: null, storedAt: null });
    expect(job.lastError).toBe("HTTP 409, FailureReason 0xC000 (cannot understand)");
    expect(archive.requests).toHaveLength(1);
    expect(archive.requests[0]?.uids).toContain(files[0]?.sopInstanceUid);
    const audit = await t.db.auditEvent.findMany({ where: { action: "delivery.failed", subject: files[0]?.sopInstanceUid } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: 8, patientId, source: "forwarder" });
    expect(audit[0]?.detail).toContain("0xC000");
  });

  it("never sends a file whose SHA-256 no longer matches: failed as corrupted, zero requests", async () => {
    archive = await startFakeArchive([{ status: 200, referenced: true }]);
    const files = await makeDicomFiles(t.dataDir, 1, { subdir: "corrupt" });
    const f = files[0]!;
    const { instanceIds } = await seedDeliveries(t.db, files, { "corrupt-target": archive.url });
    const bytes = fs.readFileSync(f.absolutePath);
    const at = bytes.length - 10;
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    fs.writeFileSync(f.absolutePath, bytes);
    forwarder = start({ baseMs: 50 });
    await waitFor("the job to fail", async () => (await statusOf(instanceIds[0])) === "failed");
    const job = await t.db.deliveryJob.findFirstOrThrow({ where: { instanceId: instanceIds[0] } });
    expect(job.lastError).toMatch(/^local file corrupted/);
    expect(archive.requests).toHaveLength(0);
  });

  it("retries 503 and an unconfirmed 200 on the backoff schedule, then stores", async () => {
    archive = await startFakeArchive([{ status: 503 }, { status: 200 }, { status: 503 }, { status: 200, referenced: true }]);
    const files = await makeDicomFiles(t.dataDir, 1, { subdir: "transient" });
    const { instanceIds } = await seedDeliveries(t.db, files, { "flaky-archive": archive.url });
    forwarder = start({ baseMs: 200 });
    await waitFor("the job to be stored", async () => (await statusOf(instanceIds[0])) === "stored");
    const job = await t.db.deliveryJob.findFirstOrThrow({ where: { instanceId: instanceIds[0] } });
    expect(job.attempts).toBe(4);
    expect(archive.requests).toHaveLength(4);
    expect(archive.requests.every((r) => r.uids.includes(files[0]?.sopInstanceUid ?? "?"))).toBe(true);
    // Gaps follow 200 ms · 2^n ± 20 % (plus poll and processing latency, ≤ 300 ms allowed).
    const gaps = archive.requests.slice(1).map((r, i) => r.at - (archive?.requests[i]?.at ?? 0));
    gaps.forEach((gap, n) => {
      expect(gap).toBeGreaterThanOrEqual(0.8 * 200 * 2 ** n - 5);
      expect(gap).toBeLessThanOrEqual(1.2 * 200 * 2 ** n + 300);
    });
  });

  it("gives up at the retry horizon with the last transient error", async () => {
    archive = await startFakeArchive([{ status: 507 }]);
    const files = await makeDicomFiles(t.dataDir, 1, { subdir: "horizon" });
    const { instanceIds } = await seedDeliveries(t.db, files, { "full-archive": archive.url });
    forwarder = start({ baseMs: 50, horizonMs: 600 });
    await waitFor("the job to fail", async () => (await statusOf(instanceIds[0])) === "failed");
    const job = await t.db.deliveryJob.findFirstOrThrow({ where: { instanceId: instanceIds[0] } });
    expect(job.attempts).toBeGreaterThanOrEqual(3);
    expect(job.lastError).toMatch(/^gave up after \d+ attempts \(retry horizon reached\): HTTP 507/);
    expect(archive.requests).toHaveLength(job.attempts);
  });

  it("stop() waits for the request in flight and records its result", async () => {
    archive = await startFakeArchive([{ status: 200, referenced: true, delayMs: 800 }]);
    const files = await makeDicomFiles(t.dataDir, 1, { subdir: "drain" });
    const { instanceIds } = await seedDeliveries(t.db, files, { "slow-archive": archive.url });
    const running = start({ baseMs: 50 });
    await waitFor("the request to arrive", async () => (archive?.requests.length ?? 0) === 1);
    await running.stop();
    expect(await statusOf(instanceIds[0])).toBe("stored");
  });

  it("renews leases, so two forwarders never send one job twice even when a send outlasts the lease", async () => {
    archive = await startFakeArchive([{ status: 200, referenced: true, delayMs: 1_000 }]);
    const files = await makeDicomFiles(t.dataDir, 6, { subdir: "renew" });
    const { instanceIds } = await seedDeliveries(t.db, files, { "slow-archive-2": archive.url });
    const other = start({ baseMs: 50 }, 300);
    forwarder = start({ baseMs: 50 }, 300);
    try {
      await waitFor("all stored", async () => (await t.db.deliveryJob.count({ where: { instanceId: { in: instanceIds }, status: "stored" } })) === 6);
    } finally {
      await other.stop();
    }
    // Each send took over three lease lengths; without renewal the other forwarder would have sent it again.
    for (const f of files) {
      expect(archive.requests.filter((r) => r.uids.includes(f.sopInstanceUid))).toHaveLength(1);
    }
    const jobs = await t.db.deliveryJob.findMany({ where: { instanceId: { in: instanceIds } } });
    expect(jobs.every((j) => j.attempts === 1)).toBe(true);
  });
});
