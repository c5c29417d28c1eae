import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { assertCatalogAccess } from "./assert-catalog-access";

export type TCatalogUsage = { itemId: string; studies: number; last30Days: number; lastUsedAt: Date | null };

/**
 * How often each item of a department's catalog was used: captures (studies) in total and in the last 30 days, and
 * when last. Items never used are included with zero.
 * @param db - database client
 * @param user - the caller (manager of the department, or admin)
 * @param departmentId - the department
 * @param now - the reference time (tests)
 */
export const getCatalogUsage = async (db: TDb, user: TSessionUser, departmentId: string, now = new Date()): Promise<TCatalogUsage[]> => {
  await assertCatalogAccess(db, user, departmentId);
  const since = new Date(now.getTime() - 30 * 24 * 3600 * 1000);
  const [items, all, recent] = await Promise.all([
    db.catalogItem.findMany({ where: { departmentId }, select: { id: true } }),
    db.study.groupBy({ by: ["catalogItemId"], where: { catalogItem: { departmentId } }, _count: { _all: true }, _max: { createdAt: true } }),
    db.study.groupBy({ by: ["catalogItemId"], where: { catalogItem: { departmentId }, createdAt: { gte: since } }, _count: { _all: true } }),
  ]);

  return items.map(({ id }) => {
    const a = all.find((g) => g.catalogItemId === id);
    return {
      itemId: id,
      studies: a?._count._all ?? 0,
      last30Days: recent.find((g) => g.catalogItemId === id)?._count._all ?? 0,
      lastUsedAt: a?._max.createdAt ?? null,
    };
  });
};
