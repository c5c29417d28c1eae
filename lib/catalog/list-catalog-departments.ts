import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";

/**
 * The departments whose catalog the user may maintain: all for admins, their own for managers, none otherwise.
 * @param db - database client
 * @param user - the caller
 */
export const listCatalogDepartments = async (db: TDb, user: TSessionUser): Promise<{ id: string; code: string; name: string }[]> => {
  if (user.role !== "admin" && user.role !== "manager") {
    return [];
  }

  return db.department.findMany({
    where: user.role === "admin" ? {} : { id: { in: user.departmentIds } },
    select: { id: true, code: true, name: true },
    orderBy: { code: "asc" },
  });
};
