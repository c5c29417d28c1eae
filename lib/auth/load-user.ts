import type { TDb } from "../db";
import { ROLES, type TRole, type TSessionUser } from "./roles";

/**
 * Load an active user with their departments, or null when missing or deactivated.
 * @param db - database client
 * @param where - by id or by email
 */
export const loadUser = async (db: TDb, where: { id: string } | { email: string }): Promise<TSessionUser | null> => {
  const user = await db.user.findUnique({ where, include: { departments: true } });
  if (!user || !user.active || !(ROLES as readonly string[]).includes(user.role)) {
    return null;
  }

  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role as TRole,
    departmentIds: user.departments.map((d) => d.departmentId),
  };
};
