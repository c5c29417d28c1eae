/**
 * Captures that have no delivery job at all: routing rules exist but none matched them (enqueue-deliveries.ts audits
 * each as `delivery.unrouted`), or no destination existed when they were made. Listed on the routing admin page
 * until a rule covers them and they are routed again (routeUnroutedInstances).
 */
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { recordAuditEvent } from "../audit/record-audit-event";
import { assertAdmin } from "./assert-admin";
import { enqueueDeliveries } from "./enqueue-deliveries";

const UNROUTED = { deliveries: { none: {} } } as const;

/**
 * @param db - database client
 * @param actor - the admin
 * @param take - at most this many rows in the list
 * @returns the count and the newest rows (no patient names: UIDs, facility, department, catalog item, modality)
 */
export const findUnroutedInstances = async (db: TDb, actor: TSessionUser, take = 50) => {
  assertAdmin(actor);
  const [count, rows] = await Promise.all([
    db.instance.count({ where: UNROUTED }),
    db.instance.findMany({
      where: UNROUTED,
      orderBy: { createdAt: "desc" },
      take,
      select: {
        id: true, sopInstanceUid: true, sopClassUid: true, createdAt: true, purgedAt: true,
        series: {
          select: {
            modality: true,
            study: {
              select: {
                studyInstanceUid: true,
                encounter: { select: { facility: { select: { code: true } } } },
                catalogItem: { select: { code: true, meaning: true, department: { select: { code: true } } } },
              },
            },
          },
        },
      },
    }),
  ]);

  return { count, rows };
};

/**
 * Run routing again for every unrouted instance (after a rule was added or changed). Idempotent.
 * @param db - database client
 * @param actor - the admin
 * @returns jobs created and instances still unrouted
 */
export const routeUnroutedInstances = async (db: TDb, actor: TSessionUser): Promise<{ queued: number; stillUnrouted: number }> => {
  assertAdmin(actor);
  let queued = 0;
  let cursor: string | undefined;
  for (;;) {
    const ids = (
      await db.instance.findMany({
        where: { ...UNROUTED, purgedAt: null, ...(cursor ? { id: { gt: cursor } } : {}) },
        orderBy: { id: "asc" },
        take: 500,
        select: { id: true },
      })
    ).map((r) => r.id);
    if (ids.length === 0) {
      break;
    }
    queued += await db.$transaction((tx) => enqueueDeliveries(tx, ids));
    cursor = ids[ids.length - 1];
  }
  const stillUnrouted = await db.instance.count({ where: UNROUTED });
  await recordAuditEvent(db, {
    action: "routing-rule.save",
    userId: actor.id,
    subject: "unrouted captures",
    detail: `routed again: ${queued} job(s) queued, ${stillUnrouted} instance(s) still unrouted`,
  });

  return { queued, stillUnrouted };
};
