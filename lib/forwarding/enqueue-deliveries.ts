/**
 * The outbox write: one DeliveryJob per new instance and enabled destination. It runs inside the transaction
 * that creates the instances, so a capture is never committed without its jobs (and the forwarder, a separate
 * process, picks them up from the database alone).
 */
import type { TTx } from "../db";

/**
 * Queue every instance for every enabled destination. Idempotent: pairs that already have a job (unique
 * instanceId + destinationId) are left alone, so calling it twice for the same instances creates nothing new.
 * @param tx - the transaction that created the instances
 * @param instanceIds - Instance.id values
 * @returns the number of jobs created
 */
export const enqueueDeliveries = async (tx: TTx, instanceIds: string[]): Promise<number> => {
  if (instanceIds.length === 0) {
    return 0;
  }
  const destinations = await tx.destination.findMany({ where: { enabled: true }, select: { id: true } });
  if (destinations.length === 0) {
    return 0;
  }
  const existing = await tx.deliveryJob.findMany({
    where: { instanceId: { in: instanceIds } },
    select: { instanceId: true, destinationId: true },
  });
  const have = new Set(existing.map((j) => `${j.instanceId} ${j.destinationId}`));
  // One timestamp for the batch, written explicitly: the job is due at once and createdAt starts the retry horizon.
  const now = new Date();
  const data = [...new Set(instanceIds)].flatMap((instanceId) =>
    destinations
      .filter((d) => !have.has(`${instanceId} ${d.id}`))
      .map((d) => ({ instanceId, destinationId: d.id, status: "queued", nextAttemptAt: now, createdAt: now })),
  );
  if (data.length === 0) {
    return 0;
  }
  const { count } = await tx.deliveryJob.createMany({ data });

  return count;
};
