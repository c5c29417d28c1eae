import { recordAuditEvent } from "../audit/record-audit-event";
import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { AppError } from "../errors";

/**
 * Stop (AppError "forbidden") anyone but an admin; the refusal is audited. Every admin lib function calls this,
 * so a page or action that forgot its role check still cannot reach the data.
 * @param db - database client
 * @param user - the caller
 * @param what - what was attempted (audit subject)
 */
export const assertAdmin = async (db: TDb, user: TSessionUser, what: string): Promise<void> => {
  if (user.role === "admin") {
    return;
  }
  await recordAuditEvent(db, { action: "admin.denied", outcome: 4, userId: user.id, subject: what });
  throw new AppError("forbidden", "this needs the admin role");
};
