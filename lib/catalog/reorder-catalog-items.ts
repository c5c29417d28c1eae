import { recordAuditEvent } from "../audit/record-audit-event";
import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { fieldsOf } from "./catalog-item-fields";
import { assertCatalogAccess } from "./assert-catalog-access";
import { writeCatalogItem } from "./write-catalog-item";

/**
 * Put a department's catalog in a new order (the order clinicians see). The existing sortOrder values are reused
 * when they are distinct, so moving one item one place changes (and versions) only the two items that swap.
 * @param db - database client
 * @param user - the caller (manager of the department, or admin)
 * @param departmentId - the department
 * @param orderedIds - every item id of the department, in the new order
 * @returns the ids whose position changed
 */
export const reorderCatalogItems = async (db: TDb, user: TSessionUser, departmentId: string, orderedIds: string[]): Promise<string[]> => {
  await assertCatalogAccess(db, user, departmentId);

  return db.$transaction(async (tx) => {
    const items = await tx.catalogItem.findMany({ where: { departmentId }, orderBy: [{ sortOrder: "asc" }, { meaning: "asc" }] });
    const ids = new Set(items.map((i) => i.id));
    if (orderedIds.length !== items.length || new Set(orderedIds).size !== orderedIds.length || !orderedIds.every((id) => ids.has(id))) {
      throw new AppError("conflict", "the list changed meanwhile; reload and try again");
    }
    const values = items.map((i) => i.sortOrder);
    const slots = new Set(values).size === values.length ? values : items.map((_, n) => n * 10);
    const moved: string[] = [];
    for (const [n, id] of orderedIds.entries()) {
      const item = items.find((i) => i.id === id)!;
      if (item.sortOrder === slots[n]) {
        continue;
      }
      await writeCatalogItem(tx, { departmentId, id, fields: { ...fieldsOf(item), sortOrder: slots[n]! }, changedById: user.id });
      moved.push(id);
    }
    if (moved.length > 0) {
      await recordAuditEvent(tx, { action: "catalog.reorder", userId: user.id, subject: `department ${departmentId}`, detail: `moved ${moved.length} item(s)` });
    }

    return moved;
  });
};

/**
 * Move one item one place up or down in its department's list (the accessible up/down buttons).
 * @param db - database client
 * @param user - the caller
 * @param id - the item
 * @param direction - up (earlier) or down (later)
 * @returns the item's new 0-based position
 */
export const moveCatalogItem = async (db: TDb, user: TSessionUser, id: string, direction: "up" | "down"): Promise<number> => {
  const item = await db.catalogItem.findUnique({ where: { id }, select: { departmentId: true } });
  if (!item) {
    throw new AppError("not_found", "no such catalog item");
  }
  await assertCatalogAccess(db, user, item.departmentId);
  const order = (await db.catalogItem.findMany({ where: { departmentId: item.departmentId }, orderBy: [{ sortOrder: "asc" }, { meaning: "asc" }], select: { id: true } })).map((i) => i.id);
  const from = order.indexOf(id);
  const to = direction === "up" ? from - 1 : from + 1;
  if (to < 0 || to >= order.length) {
    return from;
  }
  [order[from], order[to]] = [order[to]!, order[from]!];
  await reorderCatalogItems(db, user, item.departmentId, order);

  return to;
};
