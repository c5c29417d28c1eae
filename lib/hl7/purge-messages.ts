import type { TDb } from "../db";

/**
 * Retention of the inbound message log: delete messages received before the cut-off, except those an open
 * identity change still points to (the imaging team needs the message that moved the images).
 * Batched, so a large first purge does not hold a long write lock.
 * @param db - database client
 * @param opts - retentionDays (0 = keep forever), batchSize
 * @returns how many messages were deleted
 */
export const purgeMessages = async (db: TDb, opts: { retentionDays: number; batchSize?: number }): Promise<number> => {
  if (opts.retentionDays <= 0) {
    return 0;
  }
  const cutoff = new Date(Date.now() - opts.retentionDays * 24 * 60 * 60 * 1000);
  const open = await db.identityChange.findMany({ where: { resolvedAt: null }, select: { hl7MessageId: true } });
  const keep = [...new Set(open.map((c) => c.hl7MessageId))];
  let deleted = 0;
  for (;;) {
    const batch = await db.hl7Message.findMany({
      where: { receivedAt: { lt: cutoff }, ...(keep.length > 0 ? { id: { notIn: keep } } : {}) },
      select: { id: true },
      take: opts.batchSize ?? 500,
    });
    if (batch.length === 0) {
      return deleted;
    }
    deleted += (await db.hl7Message.deleteMany({ where: { id: { in: batch.map((m) => m.id) } } })).count;
  }
};
