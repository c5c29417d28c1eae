import type { TDb } from "../db";

/**
 * The routing buckets a catalog item can be sent to: active routing rules, in their order.
 * @param db - database client
 */
export const listRoutingBuckets = async (db: TDb): Promise<{ id: string; name: string }[]> =>
  db.routingRule.findMany({ where: { active: true }, select: { id: true, name: true }, orderBy: [{ sortOrder: "asc" }, { name: "asc" }] });
