/**
 * Set the evaluation order of the routing rules (RoutingRule.sortOrder): the order decides which rule's version and
 * identity a destination gets when several rules send one instance there (the first wins). Audited.
 */
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { AppError } from "../errors";
import { recordAuditEvent } from "../audit/record-audit-event";
import { assertAdmin } from "./assert-admin";

/**
 * @param db - database client
 * @param actor - the admin
 * @param ruleIds - every rule id, in the new order (rules not listed keep their place after the listed ones)
 */
export const reorderRoutingRules = async (db: TDb, actor: TSessionUser, ruleIds: string[]): Promise<void> => {
  assertAdmin(actor);
  if (new Set(ruleIds).size !== ruleIds.length) {
    throw new AppError("bad_request", "a rule is listed twice");
  }
  await db.$transaction(async (tx) => {
    const rules = await tx.routingRule.findMany({ orderBy: [{ sortOrder: "asc" }, { name: "asc" }], select: { id: true } });
    const known = new Set(rules.map((r) => r.id));
    if (ruleIds.some((id) => !known.has(id))) {
      throw new AppError("not_found", "routing rule not found");
    }
    const order = [...ruleIds, ...rules.map((r) => r.id).filter((id) => !ruleIds.includes(id))];
    for (const [sortOrder, id] of order.entries()) {
      await tx.routingRule.update({ where: { id }, data: { sortOrder } });
    }
    await recordAuditEvent(tx, { action: "routing-rule.reorder", userId: actor.id, detail: order.join(",") });
  });
};

/**
 * Move one rule up or down by one place.
 * @param db - database client
 * @param actor - the admin
 * @param ruleId - the rule to move
 * @param direction - -1 up (earlier), +1 down (later)
 */
export const moveRoutingRule = async (db: TDb, actor: TSessionUser, ruleId: string, direction: -1 | 1): Promise<void> => {
  const rules = await db.routingRule.findMany({ orderBy: [{ sortOrder: "asc" }, { name: "asc" }], select: { id: true } });
  const ids = rules.map((r) => r.id);
  const at = ids.indexOf(ruleId);
  const to = at + direction;
  if (at < 0 || to < 0 || to >= ids.length) {
    return;
  }
  [ids[at], ids[to]] = [ids[to] as string, ids[at] as string];
  await reorderRoutingRules(db, actor, ids);
};
