/**
 * Recording the end of one delivery attempt. Each completion is a compare-and-set on (status = sending,
 * lockedBy = this worker): a forwarder that lost its lease (and whose job another forwarder now owns) cannot
 * overwrite the newer state. The audit event commits in the same transaction as the status it describes.
 */
import type { TDb } from "../db";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { TClaimedJob } from "./claim-next-jobs";

export type TCompletion =
  /** The archive holds the instance; `warning` (a WarningReason) is kept in lastError; verifiedAt: QIDO-RS found it. */
  | { kind: "stored"; detail: string; warning?: string; verifiedAt?: Date }
  /** Dead-lettered: a permanent failure, or transient failures past the retry horizon. */
  | { kind: "failed"; error: string }
  /** A transient failure: try again at nextAttemptAt. */
  | { kind: "rescheduled"; error: string; nextAttemptAt: Date };

const MAX_ERROR_LENGTH = 1000;

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
    const release = { attempts: { increment: 1 }, leaseUntil: null, lockedBy: null };
    let data;
    if (completion.kind === "stored") {
      data = { ...release, status: "stored", storedAt: now, verifiedAt: completion.verifiedAt ?? null, lastError: completion.warning ?? "" };
    } else if (completion.kind === "failed") {
      data = { ...release, status: "failed", lastError: completion.error.slice(0, MAX_ERROR_LENGTH) };
    } else {
      data = { ...release, status: "queued", nextAttemptAt: completion.nextAttemptAt, lastError: completion.error.slice(0, MAX_ERROR_LENGTH) };
    }
    const { count } = await tx.deliveryJob.updateMany({ where: owned, data });
    if (count !== 1) {
      return false;
    }
    if (completion.kind !== "rescheduled") {
      const stored = completion.kind === "stored";
      await recordAuditEvent(tx, {
        action: stored ? "delivery.stored" : "delivery.failed",
        outcome: stored ? 0 : 8,
        patientId: job.instance.series.study.patientId,
        studyId: job.instance.series.study.id,
        subject: job.instance.sopInstanceUid,
        detail: `destination ${job.destination.name}: ${stored ? completion.detail : completion.error}`,
        source: "forwarder",
      });
    }

    return true;
  });
