import { recordAuditEvent } from "../audit/record-audit-event";
import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { fieldsOf } from "./catalog-item-fields";
import { assertCatalogAccess } from "./assert-catalog-access";
import { writeCatalogItem } from "./write-catalog-item";

/**
 * Deactivate (hidden from capture, kept with its history and studies) or reactivate a catalog item; versioned, audited.
 * @param db - database client
 * @param user - the caller (manager of the item's department, or admin)
 * @param id - the item
 * @param active - false to deactivate, true to reactivate
 * @returns the item's version afterwards
 */
export const setCatalogItemActive = async (db: TDb, user: TSessionUser, id: string, active: boolean): Promise<{ version: number }> => {
  const item = await db.catalogItem.findUnique({ where: { id } });
  if (!item) {
    throw new AppError("not_found", "no such catalog item");
  }
  await assertCatalogAccess(db, user, item.departmentId);

  return db.$transaction(async (tx) => {
    const current = await tx.catalogItem.findUniqueOrThrow({ where: { id } });
    const result = await writeCatalogItem(tx, { departmentId: current.departmentId, id, fields: { ...fieldsOf(current), active }, changedById: user.id });
    if (result.changed.length > 0) {
      await recordAuditEvent(tx, { action: active ? "catalog.activate" : "catalog.deactivate", userId: user.id, subject: `catalog item ${id} v${result.version}` });
    }

    return { version: result.version };
  });
};
