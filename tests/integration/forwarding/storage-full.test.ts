/**
 * A real Orthanc that refuses for lack of space: "out of resources" is transient, retried with backoff, and
 * delivered by itself once space is freed, over STOW-RS and C-STORE alike.
 *
 * Debian 12 ships Orthanc 1.10.1, which predates `MaximumStorageMode: "Reject"` (1.11.2): with a limit it recycles
 * (deletes) the oldest unprotected patients instead. So the archive is filled with one *protected* patient and
 * limited to one patient (MaximumPatientCount 1): nothing can be recycled and every new patient is refused
 * ("The file storage is full"). Orthanc 1.10 then answers C-STORE with 0xA700 (Refused: Out of Resources) and,
 * through DICOMweb plugin 1.7, STOW-RS with HTTP 200 and an empty ReferencedSOPSequence; newer versions in Reject
 * mode answer 0xA700 / a FailedSOPSequence with 0xA700 / HTTP 400 (reliability-matrix.md §2.5), all transient in
 * classify-result.ts. "Reject" is set as well, so the test means the same on a newer Orthanc.
 * Orthanc 1.10 leaves the refused upload's file in its storage area (fixed later, orthanc-tests d9d059c6082d), so
 * the storage file count is not checked here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runForwarder, type TForwarder } from "@/lib/forwarding/run-forwarder";
import { makeDicomFiles, seedDeliveries, waitFor } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

describe("archive storage full", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  let forwarder: TForwarder | undefined;
  let fillerPatient: string;

  beforeAll(async () => {
    [t, orthanc] = await Promise.all([
      createTestDatabase(),
      startOrthanc({ config: { MaximumPatientCount: 1, MaximumStorageMode: "Reject" } }),
    ]);
    // Fill the archive with another patient and protect it from recycling.
    const [filler] = await makeDicomFiles(t.dataDir, 1, { subdir: "filler" });
    const { readFile } = await import("node:fs/promises");
    const bytes = (await readFile(filler?.absolutePath ?? "")).toString("latin1").replace("TEST0001", "FULL0001");
    const upload = await fetch(`${orthanc.baseUrl}/instances`, { method: "POST", body: Buffer.from(bytes, "latin1") });
    expect(upload.status).toBe(200);
    fillerPatient = ((await upload.json()) as { ParentPatient: string }).ParentPatient;
    expect((await fetch(`${orthanc.baseUrl}/patients/${fillerPatient}/protected`, { method: "PUT", body: "1" })).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await forwarder?.stop();
    await orthanc?.dispose();
    await t?.drop();
  });

  it("refusals are transient (STOW-RS: unconfirmed 200; C-STORE: 0xA700), retried with backoff, delivered once space is freed", async () => {
    const files = await makeDicomFiles(t.dataDir, 3, { subdir: "queued" });
    const dimseUrl = `dicom://ECTEST@127.0.0.1:${orthanc.dicomPort}?calling=EC_FORWARDER`;
    await t.db.destination.create({ data: { name: "full-dimse", url: dimseUrl, kind: "dimse" } });
    const { instanceIds } = await seedDeliveries(t.db, files, { "full-stow": orthanc.stowUrl });
    const destinations = await t.db.destination.findMany({ where: { name: { in: ["full-stow", "full-dimse"] } } });
    for (const instanceId of instanceIds) {
      for (const d of destinations) {
        await t.db.deliveryJob.upsert({ where: { instanceId_destinationId: { instanceId, destinationId: d.id } }, create: { instanceId, destinationId: d.id }, update: {} });
      }
    }
    const jobsOf = (name: string) => t.db.deliveryJob.findMany({ where: { destination: { name } } });
    forwarder = runForwarder({
      db: t.db, dataDir: t.dataDir, pollMs: 20, timeoutMs: 5_000, leaseMs: 20_000,
      retryPolicy: { baseMs: 100, capMs: 800, horizonMs: 120_000 },
    });
    await waitFor("three refused attempts per job", async () =>
      (await t.db.deliveryJob.count({ where: { attempts: { gte: 3 } } })) === 6, 30_000);

    for (const job of await jobsOf("full-stow")) {
      expect(["queued", "sending"]).toContain(job.status);
      expect(job.lastError).toMatch(/^HTTP 200 without the instance in ReferencedSOPSequence|0xA700|^HTTP 400/);
    }
    for (const job of await jobsOf("full-dimse")) {
      expect(["queued", "sending"]).toContain(job.status);
      expect(job.lastError).toMatch(/^C-STORE 0xA700 out of resources/);
    }
    expect(await orthanc.countInstances()).toBe(1);
    // Backoff: with 100 ms · 2ⁿ (cap 800 ms), 3 attempts take at least 0.8 × (100 + 200) ms.
    const before = await t.db.deliveryJob.findMany({ select: { attempts: true } });
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await t.db.deliveryJob.findMany({ select: { attempts: true } });
    const added = after.reduce((n, j) => n + j.attempts, 0) - before.reduce((n, j) => n + j.attempts, 0);
    // Without backoff (poll every 20 ms) six jobs would make ~300 attempts in a second.
    expect(added).toBeLessThanOrEqual(6 * 4);

    // Free the space: the filler patient goes.
    expect((await fetch(`${orthanc.baseUrl}/patients/${fillerPatient}/protected`, { method: "PUT", body: "0" })).status).toBe(200);
    expect((await fetch(`${orthanc.baseUrl}/patients/${fillerPatient}`, { method: "DELETE" })).status).toBe(200);
    await waitFor("all six jobs stored", async () => (await t.db.deliveryJob.count({ where: { status: "stored" } })) === 6, 30_000);
    await forwarder.stop();
    forwarder = undefined;

    const uids = await orthanc.listSopInstanceUids();
    expect(uids.sort()).toEqual(files.map((f) => f.sopInstanceUid).sort());
    expect(await orthanc.countInstances()).toBe(3);
    expect(await t.db.deliveryJob.count({ where: { status: { not: "stored" } } })).toBe(0);
  }, 90_000);
});
