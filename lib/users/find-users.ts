import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { assertAdmin } from "./assert-admin";

export type TUserRow = {
  id: string;
  email: string;
  name: string;
  role: string;
  active: boolean;
  createdAt: Date;
  departments: { id: string; code: string }[];
  activeTokens: number;
};

/**
 * Every user with role, departments and the number of live API tokens (admins only).
 * @param db - database client
 * @param actor - the caller
 */
export const findUsers = async (db: TDb, actor: TSessionUser): Promise<TUserRow[]> => {
  await assertAdmin(db, actor, "users");
  const users = await db.user.findMany({
    include: { departments: { include: { department: true } }, tokens: { where: { revokedAt: null }, select: { id: true } } },
    orderBy: [{ active: "desc" }, { email: "asc" }],
  });

  return users.map((u) => ({
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    active: u.active,
    createdAt: u.createdAt,
    departments: u.departments.map((d) => ({ id: d.department.id, code: d.department.code })).sort((a, b) => a.code.localeCompare(b.code)),
    activeTokens: u.tokens.length,
  }));
};
