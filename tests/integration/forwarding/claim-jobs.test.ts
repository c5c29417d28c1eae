/**
 * The outbox on a real database: enqueueing is idempotent and skips disabled destinations; concurrent claimers
 * (separate clients on PostgreSQL, as separate processes would be) never get the same job; an expired lease moves a job to a
 * new owner and the old owner can neither complete nor renew it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type TDb } from "@/lib/db";
import { claimNextJobs } from "@/lib/forwarding/claim-next-jobs";
import { completeJob } from "@/lib/forwarding/complete-job";
import { enqueueDeliveries } from "@/lib/forwarding/enqueue-deliveries";
import { extendLeases } from "@/lib/forwarding/extend-leases";
import { rowOnlyFiles, seedDeliveries } from "../../support/forwarding-fixtures";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";


describe("delivery outbox", () => {
  let t: TTestDatabase;
  const extra: TDb[] = [];
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(extra.map((db) => db.$disconnect()));
    await t?.drop();
  });

  it("enqueues one job per instance and enabled destination, idempotently", async () => {
    await t.db.destination.create({ data: { name: "off", url: "http://127.0.0.1:9/dicom-web", enabled: false } });
    const { instanceIds, destinationIds } = await seedDeliveries(t.db, rowOnlyFiles(3), { a: "http://127.0.0.1:9/a", b: "http://127.0.0.1:9/b" });
    const jobs = await t.db.deliveryJob.findMany({ where: { instanceId: { in: instanceIds } } });
    expect(jobs).toHaveLength(6);
    expect(new Set(jobs.map((j) => j.destinationId))).toEqual(new Set(destinationIds));
    expect(jobs.every((j) => j.status === "queued" && j.attempts === 0 && j.nextAttemptAt.getTime() === j.createdAt.getTime())).toBe(true);
    expect(await t.db.$transaction((tx) => enqueueDeliveries(tx, instanceIds))).toBe(0);
    expect(await t.db.$transaction((tx) => enqueueDeliveries(tx, []))).toBe(0);
    expect(await t.db.deliveryJob.count({ where: { instanceId: { in: instanceIds } } })).toBe(6);
    await t.db.deliveryJob.deleteMany({});
    await t.db.destination.updateMany({ data: { enabled: false } });
  });

  it("never hands the same job to two concurrent claimers", async () => {
    await seedDeliveries(t.db, rowOnlyFiles(30), { shared: "http://127.0.0.1:9/shared" });
    // PostgreSQL: four clients, as four forwarder processes would have. SQLite: one client shared by four
    // interleaved claimers; better-sqlite3 blocks the event loop while it waits for a lock, so a second client in
    // the same process would wait on a transaction that cannot finish (one forwarder per SQLite database anyway).
    const others = t.engine === "postgresql" ? [openDb(t.url), openDb(t.url), openDb(t.url)] : [t.db, t.db, t.db];
    extra.push(...others.filter((db) => db !== t.db));
    const clients = [t.db, ...others];
    const claimedBy = await Promise.all(
      clients.map(async (db, w) => {
        const mine: string[] = [];
        for (;;) {
          const jobs = await claimNextJobs(db, { workerId: `w${w}`, limit: 3, leaseMs: 60_000 });
          if (jobs.length === 0) {
            return mine;
          }
          mine.push(...jobs.map((j) => j.id));
        }
      }),
    );
    const all = claimedBy.flat();
    expect(all).toHaveLength(30);
    expect(new Set(all).size).toBe(30);
    const rows = await t.db.deliveryJob.findMany({ where: { id: { in: all } } });
    for (const [w, ids] of claimedBy.entries()) {
      expect(rows.filter((r) => ids.includes(r.id)).every((r) => r.status === "sending" && r.lockedBy === `w${w}` && r.leaseUntil)).toBe(true);
    }
    expect(claimedBy.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
    await t.db.deliveryJob.deleteMany({});
    await t.db.destination.updateMany({ data: { enabled: false } });
  });

  it("lets another worker take over an expired lease; the old owner can no longer complete or renew", async () => {
    await seedDeliveries(t.db, rowOnlyFiles(2), { lease: "http://127.0.0.1:9/lease" });
    const old = await claimNextJobs(t.db, { workerId: "crashed", limit: 10, leaseMs: 100 });
    expect(old).toHaveLength(2);
    expect(await claimNextJobs(t.db, { workerId: "rescuer", limit: 10, leaseMs: 60_000 })).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 150));
    const taken = await claimNextJobs(t.db, { workerId: "rescuer", limit: 10, leaseMs: 60_000 });
    expect(taken.map((j) => j.id).sort()).toEqual(old.map((j) => j.id).sort());
    expect(taken.every((j) => j.reclaimed)).toBe(true);
    const [job] = old;
    expect(await completeJob(t.db, { job: job!, workerId: "crashed", completion: { kind: "stored", detail: "HTTP 200" } })).toBe(false);
    expect(await extendLeases(t.db, { workerId: "crashed", jobIds: old.map((j) => j.id), leaseMs: 60_000 })).toBe(0);
    expect(await extendLeases(t.db, { workerId: "rescuer", jobIds: old.map((j) => j.id), leaseMs: 60_000 })).toBe(2);
    expect(await completeJob(t.db, { job: job!, workerId: "rescuer", completion: { kind: "stored", detail: "HTTP 200" } })).toBe(true);
    const row = await t.db.deliveryJob.findUniqueOrThrow({ where: { id: job!.id } });
    expect(row).toMatchObject({ status: "stored", attempts: 1, lockedBy: null, leaseUntil: null });
    expect(await t.db.auditEvent.count({ where: { action: "delivery.stored", subject: job!.instance.sopInstanceUid } })).toBe(1);
  });
});
