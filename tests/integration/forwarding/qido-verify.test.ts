/**
 * QIDO-RS verification (Destination.verifyWithQido, lib/forwarding/verify-stored.ts): a STOW-RS success counts as
 * stored only once `GET {base}/instances?SOPInstanceUID=…` finds the instance (DeliveryJob.verifiedAt); an archive
 * that acknowledges but does not list the instance keeps the job queued with a clear reason. The flag is ignored for
 * C-STORE destinations (no C-FIND), and without it nothing is queried.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runForwarder, type TForwarder } from "@/lib/forwarding/run-forwarder";
import { startFakeStowServer, storeAll, type TFakeStowServer } from "../../support/fake-stow-server";
import { makeDicomFiles, seedDeliveries, waitFor } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

describe("QIDO-RS verification of stored deliveries", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  let fake: TFakeStowServer;
  let forwarder: TForwarder | undefined;
  /** destination name → job ids */
  const jobs = new Map<string, string[]>();

  /** One instance per destination, each job only to its own destination. */
  const seed = async (name: string, url: string, { kind = "stow-rs", verify = true } = {}): Promise<void> => {
    const destination = await t.db.destination.create({ data: { name, url, kind, verifyWithQido: verify } });
    const files = await makeDicomFiles(t.dataDir, 2, { subdir: name });
    const { instanceIds } = await seedDeliveries(t.db, files, {});
    await t.db.deliveryJob.deleteMany({ where: { instanceId: { in: instanceIds } } });
    const ids: string[] = [];
    for (const instanceId of instanceIds) {
      ids.push((await t.db.deliveryJob.create({ data: { instanceId, destinationId: destination.id } })).id);
    }
    jobs.set(name, ids);
  };
  const jobsOf = (name: string) => t.db.deliveryJob.findMany({ where: { id: { in: jobs.get(name) ?? [] } } });

  beforeAll(async () => {
    [t, orthanc] = await Promise.all([createTestDatabase(), startOrthanc()]);
    fake = await startFakeStowServer({ confirms: { stow: storeAll }, forgets: { stow: storeAll, qido: "empty" }, unverified: { stow: storeAll } });
    await seed("orthanc-verified", orthanc.stowUrl);
    await seed("orthanc-dimse", `dicom://ECTEST@127.0.0.1:${orthanc.dicomPort}?calling=EC_FORWARDER`, { kind: "dimse" });
    await seed("fake-confirms", fake.urlFor("confirms"));
    await seed("fake-forgets", fake.urlFor("forgets"));
    await seed("fake-unverified", fake.urlFor("unverified"), { verify: false });
    forwarder = runForwarder({ db: t.db, dataDir: t.dataDir, pollMs: 20, timeoutMs: 3_000, retryPolicy: { baseMs: 100, capMs: 300 } });
    await waitFor("every job but the forgetful archive's stored", async () =>
      (await t.db.deliveryJob.count({ where: { status: "stored" } })) === 8, 30_000);
    await waitFor("the forgetful archive's jobs to be tried three times", async () =>
      (await jobsOf("fake-forgets")).every((j) => j.attempts >= 3), 30_000);
    await forwarder.stop();
    forwarder = undefined;
  }, 120_000);
  afterAll(async () => {
    await forwarder?.stop();
    await fake?.close();
    await orthanc?.dispose();
    await t?.drop();
  });

  it("Orthanc: stored and verified (verifiedAt set), the instances really there", async () => {
    for (const job of await jobsOf("orthanc-verified")) {
      expect(job).toMatchObject({ status: "stored", attempts: 1 });
      expect(job.verifiedAt).toBeInstanceOf(Date);
    }
    expect(await orthanc.countInstances()).toBe(4);
  });

  it("an archive whose QIDO-RS finds the instance: verified after one request each", async () => {
    for (const job of await jobsOf("fake-confirms")) {
      expect(job).toMatchObject({ status: "stored", attempts: 1 });
      expect(job.verifiedAt).toBeInstanceOf(Date);
    }
    const confirms = fake.queries.filter((q) => q.scenario === "confirms");
    expect(confirms).toHaveLength(2);
  });

  it("an archive that acknowledges but whose QIDO-RS answers empty: not stored, re-sent, the reason says why", async () => {
    for (const job of await jobsOf("fake-forgets")) {
      expect(job.status).not.toBe("stored");
      expect(job.storedAt).toBeNull();
      expect(job.verifiedAt).toBeNull();
      expect(job.lastError).toBe("archive confirmed the store, but QIDO-RS does not find the instance (not stored; will re-send)");
    }
    expect(fake.requests.filter((r) => r.scenario === "forgets").length).toBeGreaterThanOrEqual(3);
    expect(await t.db.auditEvent.count({ where: { action: "delivery.stored", subject: { in: fake.queries.filter((q) => q.scenario === "forgets").map((q) => q.uid) } } })).toBe(0);
  });

  it("without the flag nothing is queried; a C-STORE destination ignores it (stored, not verified)", async () => {
    for (const job of [...(await jobsOf("fake-unverified")), ...(await jobsOf("orthanc-dimse"))]) {
      expect(job).toMatchObject({ status: "stored", verifiedAt: null });
    }
    expect(fake.queries.filter((q) => q.scenario === "unverified")).toHaveLength(0);
  });
});
