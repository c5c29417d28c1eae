/**
 * Divestiture re-delivery: queue every instance of one facility (or one routing rule) to a chosen destination, e.g.
 * the new owner's archive. Jobs have origin "redelivery" and no rule version (the objects go as captured, without a
 * bucket identity). Idempotent: an instance that already has a job for that destination (whatever its status) is
 * not queued again, so a second click adds nothing. Instances whose local file was purged (Instance.purgedAt) cannot
 * be sent: they are counted and reported as "local copy purged". Audited (`delivery.redeliver`).
 */
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { AppError } from "../errors";
import { recordAuditEvent } from "../audit/record-audit-event";
import { assertAdmin } from "./assert-admin";
import { describeScope, scopeInstanceIdPages, type TDivestitureScope } from "./divestiture-scope";

export type TRedeliveryCounts = {
  /** Instances in the scope. */
  total: number;
  /** Jobs created now (or, for a dry run, that would be). */
  queued: number;
  /** Instances that already have a job for the destination. */
  alreadyQueued: number;
  /** Instances whose local copy was purged: not queued. */
  purged: number;
};

/**
 * @param db - database client
 * @param actor - the admin
 * @param args.scope - facility or routing rule
 * @param args.destinationId - where to re-deliver
 * @param args.dryRun - count only (the confirmation step), create nothing
 * @returns the counts
 * @throws AppError forbidden, not_found
 */
export const redeliverInstances = async (
  db: TDb,
  actor: TSessionUser,
  args: { scope: TDivestitureScope; destinationId: string; dryRun?: boolean },
): Promise<TRedeliveryCounts> => {
  assertAdmin(actor);
  const label = await describeScope(db, args.scope);
  const destination = await db.destination.findUnique({ where: { id: args.destinationId }, select: { id: true, name: true } });
  if (!destination) {
    throw new AppError("not_found", "destination not found");
  }
  const counts: TRedeliveryCounts = { total: 0, queued: 0, alreadyQueued: 0, purged: 0 };
  for await (const ids of scopeInstanceIdPages(db, args.scope)) {
    // One transaction per page: a page is queued whole or not at all; a repeated run skips what is there.
    const page = await db.$transaction(async (tx) => {
      const instances = await tx.instance.findMany({ where: { id: { in: ids } }, select: { id: true, purgedAt: true } });
      const jobs = await tx.deliveryJob.findMany({ where: { instanceId: { in: ids }, destinationId: destination.id }, select: { instanceId: true } });
      const has = new Set(jobs.map((j) => j.instanceId));
      const c = { total: instances.length, queued: 0, alreadyQueued: 0, purged: 0 };
      const now = new Date();
      const data = [];
      for (const i of instances) {
        if (has.has(i.id)) {
          c.alreadyQueued += 1;
        } else if (i.purgedAt) {
          c.purged += 1;
        } else {
          data.push({ instanceId: i.id, destinationId: destination.id, ruleVersionId: null, origin: "redelivery", status: "queued", nextAttemptAt: now, createdAt: now });
        }
      }
      c.queued = data.length;
      if (!args.dryRun && data.length > 0) {
        await tx.deliveryJob.createMany({ data });
      }

      return c;
    });
    counts.total += page.total;
    counts.queued += page.queued;
    counts.alreadyQueued += page.alreadyQueued;
    counts.purged += page.purged;
  }
  if (!args.dryRun) {
    await recordAuditEvent(db, {
      action: "delivery.redeliver",
      userId: actor.id,
      subject: `${label} → ${destination.name}`,
      detail: `${counts.queued} queued, ${counts.alreadyQueued} already queued, ${counts.purged} local copy purged (of ${counts.total})`,
    });
  }

  return counts;
};
