/**
 * "The archive down for an hour", on a shortened clock: with Orthanc stopped, jobs wait (queued, the connection
 * error as reason), retried with exponential backoff up to its cap, never given up before the horizon; when Orthanc
 * is back they are delivered by themselves, each exactly once. Past the horizon a job fails with its last reason.
 * Scale: backoff 100 ms · 2ⁿ capped at 400 ms stands for 10 s · 2ⁿ capped at 15 min; a 4 s outage for an hour.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runForwarder, type TForwarder } from "@/lib/forwarding/run-forwarder";
import { makeDicomFiles, seedDeliveries, waitFor } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

describe("retry horizon and an archive outage", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  let forwarder: TForwarder | undefined;

  beforeAll(async () => {
    [t, orthanc] = await Promise.all([createTestDatabase(), startOrthanc()]);
  });
  afterAll(async () => {
    await forwarder?.stop();
    await orthanc?.dispose();
    await t?.drop();
  });

  it("waits out an outage with capped backoff, then delivers every job once by itself", async () => {
    await orthanc.stop();
    const files = await makeDicomFiles(t.dataDir, 5, { subdir: "outage" });
    const { instanceIds } = await seedDeliveries(t.db, files, { orthanc: orthanc.stowUrl });
    const mine = { instanceId: { in: instanceIds } };
    const started = Date.now();
    forwarder = runForwarder({ db: t.db, dataDir: t.dataDir, pollMs: 20, timeoutMs: 2_000, retryPolicy: { baseMs: 100, capMs: 400, horizonMs: 60_000 } });
    await new Promise((r) => setTimeout(r, 4_000));
    const waiting = await t.db.deliveryJob.findMany({ where: mine });
    const outageMs = Date.now() - started;
    for (const job of waiting) {
      expect(["queued", "sending"]).toContain(job.status);
      expect(job.lastError).toMatch(/^no response: ECONNREFUSED/);
      // 100 + 200 + 400 + 400 … ms (±20 %): about 10 attempts in 4 s; without backoff (20 ms polls) ~200.
      expect(job.attempts).toBeGreaterThanOrEqual(4);
      expect(job.attempts).toBeLessThanOrEqual(Math.ceil(outageMs / (0.8 * 400)) + 3);
      // Never scheduled further out than the cap.
      expect(job.nextAttemptAt.getTime() - Date.now()).toBeLessThanOrEqual(1.2 * 400 + 50);
    }
    await orthanc.restart();
    const back = Date.now();
    await waitFor("every job stored", async () => (await t.db.deliveryJob.count({ where: { ...mine, status: "stored" } })) === 5, 20_000);
    // Picked up within one capped backoff of the archive's return (plus poll and send time).
    expect(Date.now() - back).toBeLessThan(3_000);
    const uids = await orthanc.listSopInstanceUids();
    for (const f of files) {
      expect(uids.filter((u) => u === f.sopInstanceUid)).toHaveLength(1);
    }
    expect(await t.db.auditEvent.count({ where: { action: "delivery.stored" } })).toBe(5);
    await forwarder.stop();
    forwarder = undefined;
  }, 60_000);

  it("past the horizon a job fails with its last reason and an audit event", async () => {
    await orthanc.stop();
    const files = await makeDicomFiles(t.dataDir, 2, { subdir: "horizon" });
    const { instanceIds } = await seedDeliveries(t.db, files, { orthanc: orthanc.stowUrl });
    const mine = { instanceId: { in: instanceIds } };
    forwarder = runForwarder({ db: t.db, dataDir: t.dataDir, pollMs: 20, timeoutMs: 2_000, retryPolicy: { baseMs: 100, capMs: 400, horizonMs: 1_500 } });
    await waitFor("both jobs failed", async () => (await t.db.deliveryJob.count({ where: { ...mine, status: "failed" } })) === 2, 15_000);
    await forwarder.stop();
    forwarder = undefined;
    for (const job of await t.db.deliveryJob.findMany({ where: mine })) {
      expect(job.lastError).toMatch(/^gave up after \d+ attempts \(retry horizon reached\): no response: ECONNREFUSED/);
      expect(job.attempts).toBeGreaterThanOrEqual(3);
      // The last try is at the horizon itself, not before.
      expect(job.updatedAt.getTime() - job.createdAt.getTime()).toBeGreaterThanOrEqual(1_500);
    }
    expect(await t.db.auditEvent.count({ where: { action: "delivery.failed", subject: { in: files.map((f) => f.sopInstanceUid) } } })).toBe(2);
    // Orthanc coming back later changes nothing for them.
    await orthanc.restart();
    expect(await orthanc.countInstances()).toBe(5);
  }, 60_000);
});
