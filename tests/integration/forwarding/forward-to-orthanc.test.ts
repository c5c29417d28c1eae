/**
 * The forwarder, in-process, against a real Orthanc: everything ends `stored` with byte-identical copies in the
 * archive; with the archive down, jobs wait (queued, lastError, attempts growing) and are delivered exactly once
 * when it comes back.
 */
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startForwarder, type TRunningForwarder } from "@/lib/workers/forwarder";
import { makeDicomFiles, seedDeliveries, waitFor, type TFixtureFile } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const FAST = { pollMs: 50, leaseMs: 10_000, timeoutMs: 5_000, retryPolicy: { baseMs: 100, capMs: 400 } };

describe("forwarding to Orthanc", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  let forwarder: TRunningForwarder | undefined;
  const delivered: TFixtureFile[] = [];

  beforeAll(async () => {
    [t, orthanc] = await Promise.all([createTestDatabase(), startOrthanc()]);
  });
  afterAll(async () => {
    await forwarder?.stop();
    await orthanc?.dispose();
    await t?.drop();
  });

  const jobsOf = (instanceIds: string[]) =>
    t.db.deliveryJob.findMany({ where: { instanceId: { in: instanceIds } }, include: { instance: true } });

  it("stores every instance once, byte for byte, and audits each delivery", async () => {
    const files = await makeDicomFiles(t.dataDir, 12, { subdir: "a" });
    const { instanceIds, patientId, studyId } = await seedDeliveries(t.db, files, { orthanc: orthanc.stowUrl });
    forwarder = await startForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    await waitFor("12 stored jobs", async () => (await t.db.deliveryJob.count({ where: { status: "stored" } })) === 12);
    await forwarder.stop();
    forwarder = undefined;

    const jobs = await jobsOf(instanceIds);
    expect(jobs.map((j) => [j.status, j.attempts, j.lastError, j.lockedBy, j.leaseUntil])).toEqual(jobs.map(() => ["stored", 1, "", null, null]));
    expect(jobs.every((j) => j.storedAt instanceof Date)).toBe(true);
    expect((await orthanc.listSopInstanceUids()).sort()).toEqual(files.map((f) => f.sopInstanceUid).sort());
    expect(orthanc.countStoredFiles()).toBe(12);
    for (const f of files) {
      expect((await orthanc.getInstanceFile(f.sopInstanceUid)).equals(fs.readFileSync(f.absolutePath))).toBe(true);
    }
    const audits = await t.db.auditEvent.findMany({ where: { action: "delivery.stored" } });
    expect(audits).toHaveLength(12);
    expect(audits.every((a) => a.patientId === patientId && a.studyId === studyId && a.outcome === 0 && a.source === "forwarder")).toBe(true);
    expect(audits.map((a) => a.subject).sort()).toEqual(files.map((f) => f.sopInstanceUid).sort());
    delivered.push(...files);
  });

  it("keeps jobs queued while Orthanc is down and delivers each exactly once after it restarts", async () => {
    await orthanc.stop();
    const files = await makeDicomFiles(t.dataDir, 8, { subdir: "b" });
    const { instanceIds } = await seedDeliveries(t.db, files, { orthanc: orthanc.stowUrl });
    forwarder = await startForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });

    await waitFor("every job to fail at least twice", async () => (await jobsOf(instanceIds)).every((j) => j.attempts >= 2));
    const first = await jobsOf(instanceIds);
    await new Promise((r) => setTimeout(r, 1_000));
    const later = await jobsOf(instanceIds);
    for (const job of [...first, ...later]) {
      expect(["queued", "sending"]).toContain(job.status);
      expect(job.lastError).toMatch(/ECONNREFUSED/);
      expect(job.storedAt).toBeNull();
    }
    const attempts = (jobs: typeof first): number => jobs.reduce((n, j) => n + j.attempts, 0);
    expect(attempts(later)).toBeGreaterThan(attempts(first));
    expect(await t.db.deliveryJob.count({ where: { status: "failed" } })).toBe(0);

    await orthanc.restart();
    await waitFor("8 more stored jobs", async () => (await jobsOf(instanceIds)).every((j) => j.status === "stored"));
    await forwarder.stop();
    forwarder = undefined;

    const all = [...delivered, ...files];
    expect(await orthanc.countInstances()).toBe(all.length);
    expect((await orthanc.listSopInstanceUids()).sort()).toEqual(all.map((f) => f.sopInstanceUid).sort());
    expect(orthanc.countStoredFiles()).toBe(all.length);
    for (const f of files) {
      expect((await orthanc.getInstanceFile(f.sopInstanceUid)).equals(fs.readFileSync(f.absolutePath))).toBe(true);
    }
    expect(await t.db.auditEvent.count({ where: { action: "delivery.stored" } })).toBe(all.length);
  });
});
