import { recordAuditEvent } from "../audit/record-audit-event";
import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { assertAdmin } from "./assert-admin";

/**
 * Deactivate a user (signed out on their next request: every data path re-loads the user; their API tokens stop
 * working with them) or reactivate one. Admins only; audited. Admins cannot deactivate themselves.
 * @param db - database client
 * @param actor - the caller
 * @param userId - the user
 * @param active - false to deactivate, true to reactivate
 */
export const setUserActive = async (db: TDb, actor: TSessionUser, userId: string, active: boolean): Promise<void> => {
  await assertAdmin(db, actor, active ? "user.activate" : "user.deactivate");
  if (!active && userId === actor.id) {
    throw new AppError("conflict", "you cannot deactivate yourself");
  }
  await db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId } });
    if (!user) {
      throw new AppError("not_found", "no such user");
    }
    if (user.active === active) {
      return;
    }
    await tx.user.update({ where: { id: userId }, data: { active } });
    await recordAuditEvent(tx, { action: active ? "user.activate" : "user.deactivate", userId: actor.id, subject: `user ${userId}`, detail: user.email });
  });
};
