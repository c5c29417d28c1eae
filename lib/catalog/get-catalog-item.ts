import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { changedFields, fieldsOf, type TCatalogFields } from "./catalog-item-fields";
import { assertCatalogAccess } from "./assert-catalog-access";

export type TCatalogItemVersionView = {
  version: number;
  at: Date;
  by: string;
  snapshot: Partial<TCatalogFields>;
  /** Fields that differ from the previous version (all for the first). */
  changed: string[];
  /** Captures made with this version (Study.catalogVersion). */
  studies: number;
};

export type TCatalogItemDetail = TCatalogFields & {
  id: string;
  departmentId: string;
  departmentCode: string;
  version: number;
  studies: number;
  history: TCatalogItemVersionView[];
};

/**
 * One catalog item with its version history (newest first) and how many captures used it.
 * @param db - database client
 * @param user - the caller (manager of the item's department, or admin)
 * @param id - the item
 */
export const getCatalogItem = async (db: TDb, user: TSessionUser, id: string): Promise<TCatalogItemDetail> => {
  const item = await db.catalogItem.findUnique({ where: { id }, include: { department: true } });
  if (!item) {
    throw new AppError("not_found", "no such catalog item");
  }
  await assertCatalogAccess(db, user, item.departmentId);
  const [versions, studies, perVersion] = await Promise.all([
    db.catalogItemVersion.findMany({ where: { itemId: id }, orderBy: { version: "asc" } }),
    db.study.count({ where: { catalogItemId: id } }),
    db.study.groupBy({ by: ["catalogVersion"], where: { catalogItemId: id }, _count: { _all: true } }),
  ]);
  const users = await db.user.findMany({ where: { id: { in: versions.flatMap((v) => (v.changedById ? [v.changedById] : [])) } }, select: { id: true, name: true, email: true } });
  let previous: Partial<TCatalogFields> = {};
  const history = versions.map((v) => {
    const snapshot = JSON.parse(v.snapshot) as TCatalogFields;
    const changed = changedFields(previous, snapshot);
    previous = snapshot;
    const who = users.find((u) => u.id === v.changedById);
    const used = perVersion.find((g) => g.catalogVersion === v.version)?._count._all ?? 0;
    return { version: v.version, at: v.createdAt, by: who ? `${who.name} (${who.email})` : v.changedById ? v.changedById : "initial catalog", snapshot, changed, studies: used };
  });

  return { ...fieldsOf(item), id: item.id, departmentId: item.departmentId, departmentCode: item.department.code, version: item.version, studies, history: history.reverse() };
};
