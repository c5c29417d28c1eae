import type { TDb } from "../db";
import { AppError } from "../errors";
import { hashPassword } from "../auth/hash-password";
import { ROLES, type TRole } from "../auth/roles";

/**
 * Create a user, or update role, departments and password of an existing one (matched by e-mail).
 * @param db - database client
 * @param input - email, name, role, department codes, password (≥ 10 characters)
 */
export const createUser = async (
  db: TDb,
  input: { email: string; name?: string; role: string; departments: string[]; password: string },
): Promise<{ id: string }> => {
  const email = input.email.trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw new AppError("bad_request", `not an e-mail address: ${input.email}`);
  }
  if (!(ROLES as readonly string[]).includes(input.role)) {
    throw new AppError("bad_request", `role must be one of ${ROLES.join(", ")}`);
  }
  if (input.password.length < 10) {
    throw new AppError("bad_request", "password must have at least 10 characters");
  }
  const departments = await db.department.findMany({ where: { code: { in: input.departments } } });
  const missing = input.departments.filter((c) => !departments.some((d) => d.code === c));
  if (missing.length > 0) {
    throw new AppError("bad_request", `unknown department(s): ${missing.join(", ")}`);
  }
  const passwordHash = await hashPassword(input.password);
  const name = input.name?.trim() || email.split("@")[0]!;
  const user = await db.user.upsert({
    where: { email },
    create: { email, name, role: input.role as TRole, passwordHash },
    update: { role: input.role as TRole, passwordHash, ...(input.name ? { name } : {}) },
  });
  await db.userDepartment.deleteMany({ where: { userId: user.id } });
  await db.userDepartment.createMany({ data: departments.map((d) => ({ userId: user.id, departmentId: d.id })) });

  return { id: user.id };
};
