/**
 * Deactivate (or re-activate) a routing rule. A deactivated rule routes nothing new; jobs it queued already are
 * delivered as they were routed. Audited (`routing-rule.activate`).
 */
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { AppError } from "../errors";
import { recordAuditEvent } from "../audit/record-audit-event";
import { assertAdmin } from "./assert-admin";

/**
 * @param db - database client
 * @param actor - the admin
 * @param ruleId - RoutingRule.id
 * @param active - the new state
 * @throws AppError not_found
 */
export const setRoutingRuleActive = async (db: TDb, actor: TSessionUser, ruleId: string, active: boolean): Promise<void> => {
  assertAdmin(actor);
  await db.$transaction(async (tx) => {
    const { count } = await tx.routingRule.updateMany({ where: { id: ruleId }, data: { active } });
    if (count !== 1) {
      throw new AppError("not_found", "routing rule not found");
    }
    await recordAuditEvent(tx, {
      action: "routing-rule.activate",
      userId: actor.id,
      subject: ruleId,
      detail: active ? "activated" : "deactivated",
    });
  });
};
