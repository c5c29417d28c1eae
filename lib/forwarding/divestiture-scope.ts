/**
 * The set of instances a divestiture acts on: everything captured at one facility (the encounter's facility), or
 * everything one routing rule (any of its versions) has routed. Shared by export-deliveries.ts and
 * redeliver-instances.ts, so the list and the re-delivery cover exactly the same instances.
 */
import { z } from "zod";
import type { TDb } from "../db";
import { AppError } from "../errors";

export const ZDivestitureScope = z.union([
  z.object({ facilityId: z.string().min(1) }),
  z.object({ ruleId: z.string().min(1) }),
]);
export type TDivestitureScope = z.infer<typeof ZDivestitureScope>;

/** The Prisma filter on Instance for a scope. */
export const scopeWhere = (scope: TDivestitureScope) =>
  "facilityId" in scope
    ? { series: { study: { encounter: { facilityId: scope.facilityId } } } }
    : { deliveries: { some: { ruleVersion: { ruleId: scope.ruleId } } } };

/**
 * A readable name of the scope, checked to exist.
 * @param db - database client
 * @param scope - facility or rule
 * @throws AppError not_found
 */
export const describeScope = async (db: TDb, scope: TDivestitureScope): Promise<string> => {
  if ("facilityId" in scope) {
    const f = await db.facility.findUnique({ where: { id: scope.facilityId }, select: { code: true } });
    if (!f) {
      throw new AppError("not_found", "facility not found");
    }

    return `facility ${f.code}`;
  }
  const r = await db.routingRule.findUnique({ where: { id: scope.ruleId }, select: { name: true } });
  if (!r) {
    throw new AppError("not_found", "routing rule not found");
  }

  return `routing rule ${r.name}`;
};

/**
 * Instance ids of the scope, in pages (id order), so a facility of millions of images is never held in memory.
 * @param db - database client
 * @param scope - facility or rule
 * @param pageSize - ids per page
 */
export async function* scopeInstanceIdPages(db: TDb, scope: TDivestitureScope, pageSize = 500): AsyncGenerator<string[]> {
  let cursor: string | undefined;
  for (;;) {
    const rows = await db.instance.findMany({
      where: { ...scopeWhere(scope), ...(cursor ? { id: { gt: cursor } } : {}) },
      orderBy: { id: "asc" },
      take: pageSize,
      select: { id: true },
    });
    if (rows.length === 0) {
      return;
    }
    yield rows.map((r) => r.id);
    cursor = rows[rows.length - 1]?.id;
    if (rows.length < pageSize) {
      return;
    }
  }
}
