import type { TDb } from "../db";
import { canSeeAllDepartments, type TSessionUser } from "../auth/roles";

export type TWorklistOptions = {
  /** Departments the user may switch between (admins: all). */
  departments: { id: string; code: string; name: string }[];
  /** Points of care (PV1-3.1) mapped to those departments, for the location filter. */
  locations: string[];
};

/**
 * What the worklist's department switcher and location filter offer this user.
 * @param db - database client
 * @param user - the caller
 */
export const findWorklistOptions = async (db: TDb, user: TSessionUser): Promise<TWorklistOptions> => {
  const scope = canSeeAllDepartments(user) ? {} : { id: { in: user.departmentIds } };
  const departments = await db.department.findMany({ where: scope, orderBy: { name: "asc" }, select: { id: true, code: true, name: true } });
  const mappings = await db.locationMapping.findMany({
    where: { departmentId: { in: departments.map((d) => d.id) } },
    select: { pointOfCare: true },
  });

  return { departments, locations: [...new Set(mappings.map((m) => m.pointOfCare))].sort() };
};
