/**
 * Lease renewal for jobs a forwarder is still sending: a large file on a slow link may take longer than one
 * lease, and without renewal another forwarder would re-claim the job and send it a second time concurrently.
 */
import type { TDb } from "../db";

/**
 * Push the lease of this worker's `sending` jobs forward. Jobs it no longer owns are not touched.
 * @param db - database client
 * @param options - worker id, job ids, lease length, clock
 * @returns how many leases were extended
 */
export const extendLeases = async (
  db: TDb,
  { workerId, jobIds, leaseMs, now = new Date() }: { workerId: string; jobIds: string[]; leaseMs: number; now?: Date },
): Promise<number> => {
  if (jobIds.length === 0) {
    return 0;
  }
  const { count } = await db.deliveryJob.updateMany({
    where: { id: { in: jobIds }, status: "sending", lockedBy: workerId },
    data: { leaseUntil: new Date(now.getTime() + leaseMs) },
  });

  return count;
};
