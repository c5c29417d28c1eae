/**
 * The forwarder delivering over DIMSE C-STORE (a `dicom://AE@host:port` destination) to a real Orthanc: every job
 * stored once, byte-identical pixel data in the archive; with the archive down, jobs wait and are delivered when
 * it is back; a malformed address is refused when the destination is saved.
 */
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDestination } from "@/lib/forwarding/create-destination";
import { startForwarder, type TRunningForwarder } from "@/lib/workers/forwarder";
import { makeDicomFiles, seedDeliveries, waitFor } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const FAST = { pollMs: 50, leaseMs: 10_000, timeoutMs: 5_000, retryPolicy: { baseMs: 100, capMs: 400 } };

describe("forwarding over C-STORE", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  let forwarder: TRunningForwarder | undefined;
  let url: string;

  beforeAll(async () => {
    [t, orthanc] = await Promise.all([createTestDatabase(), startOrthanc()]);
    url = `dicom://ECTEST@127.0.0.1:${orthanc.dicomPort}?calling=EC_FORWARDER`;
    await createDestination(t.db, { name: "orthanc-dimse", url });
  });
  afterAll(async () => {
    await forwarder?.stop();
    await orthanc?.dispose();
    await t?.drop();
  });

  it("stores every instance once over one association per batch, byte for byte", async () => {
    const files = await makeDicomFiles(t.dataDir, 6, { subdir: "a" });
    await seedDeliveries(t.db, files, { "orthanc-dimse": url });
    forwarder = await startForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    await waitFor("6 stored", async () => (await t.db.deliveryJob.count({ where: { status: "stored" } })) === 6);
    await forwarder.stop();
    forwarder = undefined;
    const jobs = await t.db.deliveryJob.findMany();
    expect(jobs.map((j) => [j.status, j.attempts, j.lastError])).toEqual(jobs.map(() => ["stored", 1, ""]));
    expect((await orthanc.listSopInstanceUids()).sort()).toEqual(files.map((f) => f.sopInstanceUid).sort());
    for (const f of files) {
      const archived = await orthanc.getInstanceFile(f.sopInstanceUid);
      const sent = fs.readFileSync(f.absolutePath);
      // C-STORE carries the dataset (not our File Meta); its pixel data arrive unchanged.
      const tail = (b: Buffer) => b.subarray(b.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00])));
      expect(tail(archived).equals(tail(sent))).toBe(true);
    }
  });

  it("keeps jobs queued while the archive is down and delivers them once it is back", async () => {
    await orthanc.stop();
    const files = await makeDicomFiles(t.dataDir, 3, { subdir: "b" });
    const { instanceIds } = await seedDeliveries(t.db, files, { "orthanc-dimse": url });
    forwarder = await startForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    await waitFor("a failed attempt", async () =>
      (await t.db.deliveryJob.count({ where: { instanceId: { in: instanceIds }, attempts: { gte: 1 } } })) === 3,
    );
    const waiting = await t.db.deliveryJob.findMany({ where: { instanceId: { in: instanceIds } } });
    expect(waiting.every((j) => j.status === "queued" || j.status === "sending")).toBe(true);
    expect(waiting.some((j) => /C-STORE|connect|refused/i.test(j.lastError))).toBe(true);
    await orthanc.restart();
    await waitFor("3 more stored", async () =>
      (await t.db.deliveryJob.count({ where: { instanceId: { in: instanceIds }, status: "stored" } })) === 3,
    );
    await forwarder.stop();
    forwarder = undefined;
    const uids = await orthanc.listSopInstanceUids();
    for (const f of files) {
      expect(uids.filter((u) => u === f.sopInstanceUid)).toHaveLength(1);
    }
  });

  it("refuses a C-STORE address without a called AE title or port", async () => {
    await expect(createDestination(t.db, { name: "bad", url: "dicom://127.0.0.1:104" })).rejects.toThrow(/called AE title/);
    await expect(createDestination(t.db, { name: "bad", url: "dicom://VNA@127.0.0.1" })).rejects.toThrow(/host:port/);
    expect(await t.db.destination.count({ where: { name: "bad" } })).toBe(0);
  });
});
