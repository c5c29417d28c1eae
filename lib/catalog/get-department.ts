import type { TDb } from "../db";
import { AppError } from "../errors";

/**
 * A department by its code (no access check: the catalog functions check access to its content).
 * @param db - database client
 * @param code - Department.code, e.g. DERM
 */
export const getDepartment = async (db: TDb, code: string): Promise<{ id: string; code: string; name: string }> => {
  const department = await db.department.findUnique({ where: { code }, select: { id: true, code: true, name: true } });
  if (!department) {
    throw new AppError("not_found", "no such department");
  }

  return department;
};
