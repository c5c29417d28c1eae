/**
 * Recording the end of one delivery attempt. Each completion is a compare-and-set on (status = sending,
 * lockedBy = this worker): a forwarder that lost its lease (and whose job another forwarder now owns) cannot
 * overwrite the newer state. The audit event commits in the same transaction as the status it describes.
 */
import type { TDb } from "../db";
import { recordAuditEvent, toAuditEventRow, type TAuditEvent } from "../audit/record-audit-event";
import type { TClaimedJob } from "./claim-next-jobs";

export type TCompletion =
  /** The archive holds the instance; `warning` (a WarningReason) is kept in lastError; verifiedAt: QIDO-RS found it. */
  | { kind: "stored"; detail: string; warning?: string; verifiedAt?: Date }
  /** Dead-lettered: a permanent failure, or transient failures past the retry horizon. */
  | { kind: "failed"; error: string }
  /** A transient failure: try again at nextAttemptAt. */
  | { kind: "rescheduled"; error: string; nextAttemptAt: Date };

const MAX_ERROR_LENGTH = 1000;

/** The row update a completion makes (every kind counts one attempt and releases the lease). */
const updateFor = (completion: TCompletion, now: Date) => {
  const release = { attempts: { increment: 1 }, leaseUntil: null, lockedBy: null };
  if (completion.kind === "stored") {
    return { ...release, status: "stored", storedAt: now, verifiedAt: completion.verifiedAt ?? null, lastError: completion.warning ?? "" };
  }
  if (completion.kind === "failed") {
    return { ...release, status: "failed", lastError: completion.error.slice(0, MAX_ERROR_LENGTH) };
  }

  return { ...release, status: "queued", nextAttemptAt: completion.nextAttemptAt, lastError: completion.error.slice(0, MAX_ERROR_LENGTH) };
};

/** The audit event of a final completion (a rescheduled attempt is not audited: the job is still on its way). */
const auditFor = (job: TClaimedJob, completion: TCompletion): TAuditEvent | undefined => {
  if (completion.kind === "rescheduled") {
    return undefined;
  }
  const stored = completion.kind === "stored";

  return {
    action: stored ? "delivery.stored" : "delivery.failed",
    outcome: stored ? 0 : 8,
    patientId: job.instance.series.study.patientId,
    studyId: job.instance.series.study.id,
    subject: job.instance.sopInstanceUid,
    detail: `destination ${job.destination.name}: ${stored ? completion.detail : completion.error}`,
    source: "forwarder",
  };
};

/**
 * Complete a claimed job: every kind counts one attempt and releases the lease.
 * @param db - database client
 * @param options - the job as claimed, this worker's id, the outcome, the clock
 * @returns false when the job was no longer this worker's (nothing was written)
 */
export const completeJob = async (
  db: TDb,
  { job, workerId, completion, now = new Date() }: { job: TClaimedJob; workerId: string; completion: TCompletion; now?: Date },
): Promise<boolean> =>
  db.$transaction(async (tx) => {
    const owned = { id: job.id, status: "sending", lockedBy: workerId };
    const { count } = await tx.deliveryJob.updateMany({ where: owned, data: updateFor(completion, now) });
    if (count !== 1) {
      return false;
    }
    const event = auditFor(job, completion);
    if (event) {
      await recordAuditEvent(tx, event);
    }

    return true;
  });

/**
 * Complete the jobs of one delivery attempt together, in one transaction and a few statements instead of two per
 * job: one compare-and-set UPDATE … RETURNING per distinct row update (all successes of a group share one), then
 * every audit event in one INSERT. The same guarantees as completeJob for each job: only rows still `sending` under
 * this worker's lease change, and each changed row gets its audit event in the same commit.
 * @param db - database client (or a transaction)
 * @param options - the jobs with their completions, this worker's id, the clock
 * @returns for each job (same order), whether it was still this worker's and was written
 */
export const completeJobs = async (
  db: TDb,
  { items, workerId, now = new Date() }: { items: { job: TClaimedJob; completion: TCompletion }[]; workerId: string; now?: Date },
): Promise<boolean[]> =>
  db.$transaction(async (tx) => {
    const groups = new Map<string, { data: ReturnType<typeof updateFor>; ids: string[] }>();
    for (const { job, completion } of items) {
      const data = updateFor(completion, now);
      const key = JSON.stringify(data);
      const group = groups.get(key) ?? { data, ids: [] };
      group.ids.push(job.id);
      groups.set(key, group);
    }
    const applied = new Set<string>();
    for (const { data, ids } of groups.values()) {
      const rows = await tx.deliveryJob.updateManyAndReturn({
        where: { id: { in: ids }, status: "sending", lockedBy: workerId },
        data,
        select: { id: true },
      });
      for (const row of rows) {
        applied.add(row.id);
      }
    }
    const events = items.flatMap(({ job, completion }) => {
      const event = applied.has(job.id) ? auditFor(job, completion) : undefined;

      return event ? [toAuditEventRow(event)] : [];
    });
    if (events.length > 0) {
      await tx.auditEvent.createMany({ data: events });
    }

    return items.map(({ job }) => applied.has(job.id));
  }, { maxWait: 60_000, timeout: 120_000 });
