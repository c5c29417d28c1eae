/**
 * The operations view and the admin's hand on a destination's queue, on the real database with a real archive:
 * failures show with their reason, "resend all failed" delivers them (same SOP Instance UIDs), "cancel" takes jobs
 * out of the queue for good, jobs being sent are left alone, and every action is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDestinationStatus } from "@/lib/forwarding/get-destination-status";
import { requeueJobs } from "@/lib/forwarding/requeue-jobs";
import { startForwarder } from "@/lib/workers/forwarder";
import { makeDicomFiles, seedDeliveries, waitFor } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const FAST = { pollMs: 50, leaseMs: 10_000, timeoutMs: 5_000, retryPolicy: { baseMs: 100, capMs: 400 } };

describe("destination operations", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  beforeAll(async () => {
    [t, orthanc] = await Promise.all([createTestDatabase(), startOrthanc()]);
  });
  afterAll(async () => {
    await orthanc?.dispose();
    await t?.drop();
  });

  it("shows failures with their reason; resend delivers them, cancel removes them from the queue", async () => {
    const files = await makeDicomFiles(t.dataDir, 4);
    const { instanceIds, destinationIds } = await seedDeliveries(t.db, files, { vna: orthanc.stowUrl });
    const destinationId = destinationIds[0]!;
    const admin = await t.db.user.create({ data: { email: "ops@example.org", name: "Ops Admin", role: "admin", passwordHash: "x" } });
    // Three jobs failed earlier (e.g. the archive refused them), one is being sent right now by a forwarder.
    const jobs = await t.db.deliveryJob.findMany({ where: { instanceId: { in: instanceIds } }, orderBy: { createdAt: "asc" } });
    await t.db.deliveryJob.updateMany({ where: { id: { in: jobs.slice(0, 3).map((j) => j.id) } }, data: { status: "failed", attempts: 5, lastError: "HTTP 503 from the archive" } });
    await t.db.deliveryJob.update({ where: { id: jobs[3]!.id }, data: { status: "sending", lockedBy: "other", leaseUntil: new Date(Date.now() + 60_000) } });

    const before = await getDestinationStatus(t.db, destinationId);
    expect(before.counts).toMatchObject({ failed: 3, sending: 1, stored: 0 });
    expect(before.oldestWaitingSince).toEqual(jobs[3]!.createdAt);
    expect(before.problems.map((p) => p.lastError)).toEqual(["HTTP 503 from the archive", "HTTP 503 from the archive", "HTTP 503 from the archive"]);

    // Cancel one failed job; the one being sent is not touched by "cancel all".
    expect(await requeueJobs(t.db, { action: "cancel", destinationId, jobId: jobs[2]!.id, userId: admin.id })).toBe(1);
    expect(await requeueJobs(t.db, { action: "resend", destinationId, userId: admin.id })).toBe(2);
    expect((await t.db.deliveryJob.findUniqueOrThrow({ where: { id: jobs[3]!.id } })).status).toBe("sending");

    const forwarder = await startForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    try {
      await waitFor("2 resent and stored", async () => (await t.db.deliveryJob.count({ where: { status: "stored" } })) === 2);
    } finally {
      await forwarder.stop();
    }
    const stored = await t.db.deliveryJob.findMany({ where: { status: "stored" }, include: { instance: true } });
    expect(stored.map((j) => j.id).sort()).toEqual([jobs[0]!.id, jobs[1]!.id].sort());
    expect((await orthanc.listSopInstanceUids()).sort()).toEqual(stored.map((j) => j.instance.sopInstanceUid).sort());
    const after = await getDestinationStatus(t.db, destinationId);
    expect(after.counts).toMatchObject({ stored: 2, cancelled: 1, failed: 0, sending: 1 });
    expect(after.storedPerMinute).toBeGreaterThan(0);
    expect(await t.db.auditEvent.count({ where: { action: { in: ["delivery.resend", "delivery.cancel"] }, userId: admin.id } })).toBe(2);
  });
});
