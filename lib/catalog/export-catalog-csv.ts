import { recordAuditEvent } from "../audit/record-audit-event";
import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { fieldsOf } from "./catalog-item-fields";
import { assertCatalogAccess } from "./assert-catalog-access";
import { toCsv } from "./csv";

/** CSV columns, in order; `routingRule` is the routing bucket's name ("" = the rules decide). */
export const CATALOG_CSV_COLUMNS = [
  "code", "scheme", "meaning", "modality", "allowedMedia", "bodySiteCode", "requireBodySite", "laterality",
  "mappedCode", "mappedScheme", "mappedMeaning", "routingRule", "active", "sortOrder",
] as const;

/**
 * A department's whole catalog (inactive items too) as CSV, in display order; audited.
 * @param db - database client
 * @param user - the caller (manager of the department, or admin)
 * @param departmentId - the department
 * @returns file name and CSV text
 */
export const exportCatalogCsv = async (db: TDb, user: TSessionUser, departmentId: string): Promise<{ fileName: string; csv: string }> => {
  await assertCatalogAccess(db, user, departmentId);
  const department = await db.department.findUnique({ where: { id: departmentId } });
  if (!department) {
    throw new AppError("not_found", "no such department");
  }
  const items = await db.catalogItem.findMany({ where: { departmentId }, include: { routingRule: true }, orderBy: [{ sortOrder: "asc" }, { meaning: "asc" }] });
  const rows = items.map((item) => {
    const f = fieldsOf(item);

    return [
      f.code, f.scheme, f.meaning, f.modality, f.allowedMedia.join(","), f.bodySiteCode, f.requireBodySite, f.laterality,
      f.mappedCode, f.mappedScheme, f.mappedMeaning, item.routingRule?.name ?? "", f.active, f.sortOrder,
    ];
  });
  await recordAuditEvent(db, { action: "catalog.export", userId: user.id, subject: `department ${department.code}`, detail: `${items.length} item(s)` });

  return { fileName: `catalog-${department.code}.csv`, csv: toCsv([[...CATALOG_CSV_COLUMNS], ...rows]) };
};
