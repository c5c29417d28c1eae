/**
 * completeJobs (one attempt's outcomes in one transaction) on a real database: each job is written only while this
 * worker still holds it, with one attempt counted and the lease released; stored and failed jobs get exactly one
 * audit event each, a rescheduled one none; a job another worker took over is left alone and not audited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimNextJobs } from "@/lib/forwarding/claim-next-jobs";
import { completeJobs } from "@/lib/forwarding/complete-job";
import { rowOnlyFiles, seedDeliveries } from "../../support/forwarding-fixtures";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";


describe("completeJobs", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("writes and audits only the jobs this worker still holds, each as its own outcome says", async () => {
    await seedDeliveries(t.db, rowOnlyFiles(5), { batch: "dicom://ARCHIVE@127.0.0.1:9" });
    const jobs = await claimNextJobs(t.db, { workerId: "me", limit: 10, leaseMs: 60_000 });
    expect(jobs).toHaveLength(5);
    const [a, b, c, d, e] = jobs as [typeof jobs[0], typeof jobs[0], typeof jobs[0], typeof jobs[0], typeof jobs[0]];
    // Another forwarder took job e over (its lease had expired): this worker's result must not overwrite it.
    await t.db.deliveryJob.update({ where: { id: e.id }, data: { lockedBy: "other" } });
    const later = new Date(Date.now() + 60_000);
    const applied = await completeJobs(t.db, {
      workerId: "me",
      items: [
        { job: a, completion: { kind: "stored", detail: "C-STORE Success" } },
        { job: b, completion: { kind: "stored", detail: "C-STORE Warning", warning: "B000" } },
        { job: c, completion: { kind: "failed", error: "C-STORE A900" } },
        { job: d, completion: { kind: "rescheduled", error: "C-STORE A700", nextAttemptAt: later } },
        { job: e, completion: { kind: "stored", detail: "C-STORE Success" } },
      ],
    });
    expect(applied).toEqual([true, true, true, true, false]);
    const rows = new Map((await t.db.deliveryJob.findMany({ where: { id: { in: jobs.map((j) => j.id) } } })).map((r) => [r.id, r]));
    expect(rows.get(a.id)).toMatchObject({ status: "stored", attempts: 1, lockedBy: null, leaseUntil: null, lastError: "" });
    expect(rows.get(b.id)).toMatchObject({ status: "stored", attempts: 1, lastError: "B000" });
    expect(rows.get(c.id)).toMatchObject({ status: "failed", attempts: 1, lastError: "C-STORE A900" });
    expect(rows.get(d.id)).toMatchObject({ status: "queued", attempts: 1, lockedBy: null, nextAttemptAt: later });
    expect(rows.get(e.id)).toMatchObject({ status: "sending", attempts: 0, lockedBy: "other" });
    const audited = async (job: typeof a, action: string): Promise<number> =>
      t.db.auditEvent.count({ where: { action, subject: job.instance.sopInstanceUid, source: "forwarder" } });
    expect(await audited(a, "delivery.stored")).toBe(1);
    expect(await audited(b, "delivery.stored")).toBe(1);
    expect(await audited(c, "delivery.failed")).toBe(1);
    expect(await t.db.auditEvent.count({ where: { subject: { in: [d.instance.sopInstanceUid, e.instance.sopInstanceUid] } } })).toBe(0);
  });
});
