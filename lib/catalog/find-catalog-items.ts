import type { TDb } from "../db";
import { canSeeAllDepartments, type TSessionUser } from "../auth/roles";

export type TCatalogItemSummary = {
  id: string;
  code: string;
  scheme: string;
  meaning: string;
  department: string;
  modality: string;
  /** Default body site (SNOMED CT code, lib/catalog/body-sites.ts), "" = none. */
  bodySiteCode: string;
  requireBodySite: boolean;
  /** Media the item accepts (photo, video, ultrasound). */
  allowedMedia: string[];
  /** Default Image Laterality (R, L, B, U), "" = none. */
  laterality: string;
  /** CatalogItem.version in force (recorded with a capture as Study.catalogVersion). */
  version: number;
  /** Optional standard mapping (SNOMED CT "SCT" / LOINC "LN") of the local code; "" when none. */
  mappedCode: string;
  mappedScheme: string;
  mappedMeaning: string;
};

/**
 * Active catalog items of the user's departments (all departments for admins), in the managers' order.
 * @param db - database client
 * @param user - the caller
 * @param departmentId - only this department's items (must be one the user may see)
 */
export const findCatalogItems = async (
  db: TDb,
  user: TSessionUser,
  departmentId?: string,
): Promise<TCatalogItemSummary[]> => {
  const allowed = canSeeAllDepartments(user) ? undefined : user.departmentIds;
  const ids = departmentId ? (allowed && !allowed.includes(departmentId) ? [] : [departmentId]) : allowed;
  const rows = await db.catalogItem.findMany({
    where: { active: true, ...(ids ? { departmentId: { in: ids } } : {}) },
    include: { department: true },
    orderBy: [{ department: { code: "asc" } }, { sortOrder: "asc" }, { meaning: "asc" }],
  });

  return rows.map((r) => ({
    id: r.id,
    code: r.code,
    scheme: r.scheme,
    meaning: r.meaning,
    department: r.department.code,
    modality: r.modality,
    bodySiteCode: r.bodySiteCode,
    requireBodySite: r.requireBodySite,
    allowedMedia: r.allowedMedia.split(",").map((m) => m.trim()).filter(Boolean),
    laterality: r.laterality,
    version: r.version,
    mappedCode: r.mappedCode,
    mappedScheme: r.mappedScheme,
    mappedMeaning: r.mappedMeaning,
  }));
};
