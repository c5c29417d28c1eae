/**
 * Media purge (lib/forwarding/purge-media.ts): a local DICOM file goes only when every delivery of its instance is
 * stored and the last store is older than the retention; Instance.purgedAt is set and audited; a later resend
 * fails clearly as "local copy purged" and sends nothing; the forwarder worker runs the purge by itself.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeMedia } from "@/lib/forwarding/purge-media";
import { runForwarder } from "@/lib/forwarding/run-forwarder";
import { startForwarder } from "@/lib/workers/forwarder";
import { startFakeStowServer, storeAll, type TFakeStowServer } from "../../support/fake-stow-server";
import { makeDicomFiles, seedDeliveries, waitFor, type TFixtureFile } from "../../support/forwarding-fixtures";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (n: number): Date => new Date(Date.now() - n * DAY);

describe("media purge", () => {
  let t: TTestDatabase;
  let archive: TFakeStowServer;
  /** name → instance id and file */
  const instances = new Map<string, { id: string; file: TFixtureFile }>();

  /** Two destinations per instance; `states` sets each job's status and storedAt. */
  const seed = async (name: string, states: { status: string; storedDaysAgo?: number }[]): Promise<void> => {
    const [file] = await makeDicomFiles(t.dataDir, 1, { subdir: name });
    if (!file) {
      throw new Error("no file");
    }
    const { instanceIds } = await seedDeliveries(t.db, [file], {});
    const id = instanceIds[0] as string;
    await t.db.deliveryJob.deleteMany({ where: { instanceId: id } });
    for (const [i, s] of states.entries()) {
      await t.db.deliveryJob.create({
        data: {
          instanceId: id, destinationId: (await t.db.destination.findUniqueOrThrow({ where: { name: `archive-${i}` } })).id,
          status: s.status, attempts: 1, storedAt: s.storedDaysAgo === undefined ? null : daysAgo(s.storedDaysAgo),
        },
      });
    }
    instances.set(name, { id, file });
  };
  const purgedAt = async (name: string): Promise<Date | null> =>
    (await t.db.instance.findUniqueOrThrow({ where: { id: instances.get(name)?.id ?? "" } })).purgedAt;
  const fileExists = (name: string): boolean => fs.existsSync(instances.get(name)?.file.absolutePath ?? "");

  beforeAll(async () => {
    t = await createTestDatabase();
    archive = await startFakeStowServer({ a: { stow: storeAll } });
    // Disabled: only the jobs each case creates exist, and the forwarder in the resend case sends only those.
    for (const i of [0, 1]) {
      await t.db.destination.create({ data: { name: `archive-${i}`, url: archive.urlFor("a"), enabled: i === 0 } });
    }
    await seed("old-all-stored", [{ status: "stored", storedDaysAgo: 45 }, { status: "stored", storedDaysAgo: 31 }]);
    await seed("one-failed", [{ status: "stored", storedDaysAgo: 45 }, { status: "failed" }]);
    await seed("one-cancelled", [{ status: "stored", storedDaysAgo: 45 }, { status: "cancelled" }]);
    await seed("one-queued", [{ status: "stored", storedDaysAgo: 45 }, { status: "queued" }]);
    await seed("within-retention", [{ status: "stored", storedDaysAgo: 45 }, { status: "stored", storedDaysAgo: 29 }]);
    await seed("never-routed", []);
    await seed("just-stored", [{ status: "stored", storedDaysAgo: 0 }]);
    // A re-stamped instance leaves its earlier file (restamp-instance.ts): both go.
    const old = instances.get("old-all-stored")?.file;
    fs.copyFileSync(old?.absolutePath ?? "", path.join(path.dirname(old?.absolutePath ?? ""), `${old?.sopInstanceUid}.0a1b2c.dcm`));
    // Derived images of it (a video's poster frame, the UI's cached thumbnail) go with it.
    fs.writeFileSync(`${old?.absolutePath}.poster.jpg`, "poster");
    fs.mkdirSync(path.join(t.dataDir, "thumbnails"), { recursive: true });
    fs.writeFileSync(path.join(t.dataDir, "thumbnails", `${instances.get("old-all-stored")?.id}.jpg`), "thumb");
  }, 120_000);
  afterAll(async () => {
    await archive?.close();
    await t?.drop();
  });

  it("purges only instances whose every delivery is stored, and stored before the retention", async () => {
    const result = await purgeMedia(t.db, { dataDir: t.dataDir, retentionDays: 30 });
    expect(result).toEqual({ purged: 1, filesDeleted: 4, fileErrors: 0 });
    expect(fs.existsSync(path.join(t.dataDir, "thumbnails", `${instances.get("old-all-stored")?.id}.jpg`))).toBe(false);
    expect(await purgedAt("old-all-stored")).toBeInstanceOf(Date);
    expect(fileExists("old-all-stored")).toBe(false);
    expect(fs.readdirSync(path.dirname(instances.get("old-all-stored")?.file.absolutePath ?? ""))).toEqual([]);
    for (const kept of ["one-failed", "one-cancelled", "one-queued", "within-retention", "never-routed", "just-stored"]) {
      expect(await purgedAt(kept), kept).toBeNull();
      expect(fileExists(kept), kept).toBe(true);
    }
    const audit = await t.db.auditEvent.findMany({ where: { action: "instance.purged" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ subject: instances.get("old-all-stored")?.file.sopInstanceUid, source: "forwarder" });
    expect(audit[0]?.patientId).toBeTruthy();
    // A second run finds nothing more.
    expect(await purgeMedia(t.db, { dataDir: t.dataDir, retentionDays: 30 })).toEqual({ purged: 0, filesDeleted: 0, fileErrors: 0 });
  });

  it("retention 0 purges as soon as every delivery is stored", async () => {
    const result = await purgeMedia(t.db, { dataDir: t.dataDir, retentionDays: 0 });
    expect(result.purged).toBe(2);
    expect(await purgedAt("just-stored")).toBeInstanceOf(Date);
    expect(await purgedAt("within-retention")).toBeInstanceOf(Date);
    expect(await purgedAt("one-failed")).toBeNull();
  });

  it("a resend after the purge (re-stamp due as well) fails as 'local copy purged' and sends nothing", async () => {
    const id = instances.get("old-all-stored")?.id ?? "";
    const destination = await t.db.destination.findUniqueOrThrow({ where: { name: "archive-0" } });
    // The identity changed since capture too, so the forwarder would first re-stamp (restamp-instance.ts) the file.
    await t.db.instance.update({ where: { id }, data: { stampedIdentity: "identity-before-a-merge" } });
    // An admin's resend puts the stored job back in the queue.
    await t.db.deliveryJob.updateMany({ where: { instanceId: id, destinationId: destination.id }, data: { status: "queued", nextAttemptAt: new Date(), storedAt: null } });
    const forwarder = runForwarder({ db: t.db, dataDir: t.dataDir, pollMs: 20, timeoutMs: 2_000 });
    try {
      await waitFor("the resend to fail", async () =>
        (await t.db.deliveryJob.count({ where: { instanceId: id, status: "failed" } })) === 1);
    } finally {
      await forwarder.stop();
    }
    const job = await t.db.deliveryJob.findFirstOrThrow({ where: { instanceId: id, destinationId: destination.id } });
    expect(job.lastError).toBe("local copy purged (retention period over); cannot send again");
    expect(archive.requests).toHaveLength(0);
    expect(await t.db.auditEvent.count({ where: { action: "instance.restamped" } })).toBe(0);
  });

  it("the forwarder worker purges by itself (MEDIA_RETENTION_DAYS), and not at all when it is 'never'", async () => {
    await seed("worker-purge", [{ status: "stored", storedDaysAgo: 10 }]);
    const off = await startForwarder({ db: t.db, dataDir: t.dataDir, pollMs: 50, mediaPurge: { retentionDays: null, intervalMs: 50 } });
    await new Promise((r) => setTimeout(r, 300));
    await off.stop();
    expect(await purgedAt("worker-purge")).toBeNull();
    const on = await startForwarder({ db: t.db, dataDir: t.dataDir, pollMs: 50, mediaPurge: { retentionDays: 7, intervalMs: 50 } });
    try {
      await waitFor("the worker to purge", async () => (await purgedAt("worker-purge")) !== null, 10_000);
    } finally {
      await on.stop();
    }
    expect(fileExists("worker-purge")).toBe(false);
    expect(fileExists("one-failed")).toBe(true);
  });
});
