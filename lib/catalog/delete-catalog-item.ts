import { recordAuditEvent } from "../audit/record-audit-event";
import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { assertCatalogAccess } from "./assert-catalog-access";

/**
 * Delete a catalog item that was never used (a typo, a test). An item with studies — or named by a routing rule's
 * condition — is refused: deactivate it instead, so the captures keep the content they were made with.
 * @param db - database client
 * @param user - the caller (manager of the item's department, or admin)
 * @param id - the item
 */
export const deleteCatalogItem = async (db: TDb, user: TSessionUser, id: string): Promise<void> => {
  const item = await db.catalogItem.findUnique({ where: { id } });
  if (!item) {
    throw new AppError("not_found", "no such catalog item");
  }
  await assertCatalogAccess(db, user, item.departmentId);
  await db.$transaction(async (tx) => {
    if ((await tx.study.count({ where: { catalogItemId: id } })) > 0) {
      throw new AppError("conflict", "this item was used for captures: deactivate it instead");
    }
    if ((await tx.routingRuleVersion.count({ where: { catalogItemId: id } })) > 0) {
      throw new AppError("conflict", "a routing rule names this item: deactivate it instead");
    }
    await tx.catalogItemVersion.deleteMany({ where: { itemId: id } });
    await tx.catalogItem.delete({ where: { id } });
    await recordAuditEvent(tx, { action: "catalog.delete", userId: user.id, subject: `catalog item ${id}`, detail: `deleted unused ${item.code} (${item.scheme})` });
  });
};
