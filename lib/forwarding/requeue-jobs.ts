/**
 * An admin's hand on the queue of one destination: resend failed jobs (one, or all of the destination) — they go
 * back to `queued`, due now, with the same file and the same SOP Instance UID — or cancel waiting/failed jobs
 * (status `cancelled`: the forwarder never picks them again; the instance and its other deliveries stay). Jobs being
 * sent right now are left alone. Each action is audited.
 */
import type { TDb } from "../db";
import { recordAuditEvent } from "../audit/record-audit-event";

export type TRequeueAction = "resend" | "cancel";

/**
 * @param db - database client
 * @param input - action, destination, one job (else every eligible job of the destination), the admin
 * @returns how many jobs changed
 */
export const requeueJobs = async (
  db: TDb,
  input: { action: TRequeueAction; destinationId: string; jobId?: string; userId: string; now?: Date },
): Promise<number> => {
  const now = input.now ?? new Date();
  const where = {
    destinationId: input.destinationId,
    ...(input.jobId ? { id: input.jobId } : {}),
    status: input.action === "resend" ? { in: ["failed"] } : { in: ["queued", "failed"] },
  };

  return db.$transaction(async (tx) => {
    const { count } =
      input.action === "resend"
        ? await tx.deliveryJob.updateMany({ where, data: { status: "queued", nextAttemptAt: now, leaseUntil: null, lockedBy: null } })
        : await tx.deliveryJob.updateMany({ where, data: { status: "cancelled", leaseUntil: null, lockedBy: null } });
    if (count > 0) {
      await recordAuditEvent(tx, {
        action: input.action === "resend" ? "delivery.resend" : "delivery.cancel",
        userId: input.userId,
        subject: input.jobId ?? input.destinationId,
        detail: `${count} job(s) ${input.action === "resend" ? "queued again" : "cancelled"}`,
      });
    }

    return count;
  });
};
