import { recordAuditEvent } from "../audit/record-audit-event";
import type { TSessionUser } from "../auth/roles";
import type { TDb, TTx } from "../db";
import { AppError } from "../errors";

/**
 * Whether the user may maintain a department's catalog: admins every department, managers their own (UserDepartment).
 * @param user - the caller
 * @param departmentId - the catalog's department
 */
export const canManageCatalog = (user: TSessionUser, departmentId: string): boolean =>
  user.role === "admin" || (user.role === "manager" && user.departmentIds.includes(departmentId));

/**
 * Stop (AppError "forbidden") a caller who may not maintain the department's catalog; the refusal is audited.
 * @param db - database client
 * @param user - the caller
 * @param departmentId - the catalog's department
 */
export const assertCatalogAccess = async (db: TDb | TTx, user: TSessionUser, departmentId: string): Promise<void> => {
  if (canManageCatalog(user, departmentId)) {
    return;
  }
  await recordAuditEvent(db, { action: "catalog.denied", outcome: 4, userId: user.id, subject: `department ${departmentId}` });
  throw new AppError("forbidden", "you do not manage this department's catalog");
};
