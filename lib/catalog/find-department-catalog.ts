import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { fieldsOf, type TCatalogFields } from "./catalog-item-fields";
import { assertCatalogAccess } from "./assert-catalog-access";
import { getCatalogUsage, type TCatalogUsage } from "./get-catalog-usage";

export type TManagedCatalogItem = TCatalogFields & {
  id: string;
  version: number;
  routingRuleName: string;
  usage: Omit<TCatalogUsage, "itemId">;
};

/**
 * A department's whole catalog for its managers: active and inactive items in display order, with usage.
 * @param db - database client
 * @param user - the caller (manager of the department, or admin)
 * @param departmentId - the department
 */
export const findDepartmentCatalog = async (db: TDb, user: TSessionUser, departmentId: string): Promise<TManagedCatalogItem[]> => {
  await assertCatalogAccess(db, user, departmentId);
  const [items, usage] = await Promise.all([
    db.catalogItem.findMany({ where: { departmentId }, include: { routingRule: true }, orderBy: [{ sortOrder: "asc" }, { meaning: "asc" }] }),
    getCatalogUsage(db, user, departmentId),
  ]);

  return items.map((item) => {
    const u = usage.find((x) => x.itemId === item.id);
    return {
      ...fieldsOf(item),
      id: item.id,
      version: item.version,
      routingRuleName: item.routingRule?.name ?? "",
      usage: { studies: u?.studies ?? 0, last30Days: u?.last30Days ?? 0, lastUsedAt: u?.lastUsedAt ?? null },
    };
  });
};
