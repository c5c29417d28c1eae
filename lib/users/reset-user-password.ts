import { recordAuditEvent } from "../audit/record-audit-event";
import { hashPassword } from "../auth/hash-password";
import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { assertAdmin } from "./assert-admin";
import { generatePassword } from "./generate-password";

/**
 * Give a user a new random password, returned once for the admin to hand over (admins only; audited).
 * @param db - database client
 * @param actor - the caller
 * @param userId - the user
 * @returns the new password
 */
export const resetUserPassword = async (db: TDb, actor: TSessionUser, userId: string): Promise<string> => {
  await assertAdmin(db, actor, "user.password-reset");
  const user = await db.user.findUnique({ where: { id: userId }, select: { email: true } });
  if (!user) {
    throw new AppError("not_found", "no such user");
  }
  const password = generatePassword();
  await db.user.update({ where: { id: userId }, data: { passwordHash: await hashPassword(password) } });
  await recordAuditEvent(db, { action: "user.password-reset", userId: actor.id, subject: `user ${userId}`, detail: user.email });

  return password;
};
