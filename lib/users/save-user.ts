import { z } from "zod";
import { recordAuditEvent } from "../audit/record-audit-event";
import { hashPassword } from "../auth/hash-password";
import { ROLES, type TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { assertAdmin } from "./assert-admin";
import { generatePassword } from "./generate-password";

const ZUser = z.object({
  id: z.string().optional(),
  email: z.string().trim().toLowerCase().pipe(z.email("not an e-mail address")),
  name: z.string().trim().max(64, "name is at most 64 characters"),
  role: z.enum(ROLES, { error: `role must be one of ${ROLES.join(", ")}` }),
  departmentIds: z.array(z.string()),
  /** New users only; "" = generate one (returned once). */
  password: z.string().refine((p) => p === "" || p.length >= 10, "password must have at least 10 characters").optional(),
});

export type TSaveUserInput = z.input<typeof ZUser>;

/**
 * Create a user (with a first password, generated when none is given) or change a user's name, role and departments
 * (admins only; audited). The last active admin cannot lose the admin role.
 * @param db - database client
 * @param actor - the caller
 * @param input - id (omit to create), email, name, role, department ids, password (create only)
 * @returns the user id, and the generated first password (shown once) when one was generated
 */
export const saveUser = async (db: TDb, actor: TSessionUser, input: TSaveUserInput): Promise<{ id: string; password?: string }> => {
  await assertAdmin(db, actor, "user.save");
  const parsed = ZUser.safeParse(input);
  if (!parsed.success) {
    throw new AppError("bad_request", parsed.error.issues.map((i) => i.message).join("; "));
  }
  const u = parsed.data;
  const departments = await db.department.findMany({ where: { id: { in: u.departmentIds } }, select: { id: true, code: true } });
  if (departments.length !== new Set(u.departmentIds).size) {
    throw new AppError("bad_request", "unknown department");
  }
  if (u.role !== "admin" && departments.length === 0) {
    throw new AppError("bad_request", "a clinician or manager needs at least one department");
  }
  const codes = departments.map((d) => d.code).sort().join(", ");
  const name = u.name || u.email.split("@")[0]!;
  // Hashed before the transaction: bcrypt takes ~0.1 s, too long to hold SQLite's write lock.
  const password = u.id ? "" : u.password || generatePassword();
  const passwordHash = u.id ? "" : await hashPassword(password);

  return db.$transaction(async (tx) => {
    const clash = await tx.user.findUnique({ where: { email: u.email }, select: { id: true } });
    if (clash && clash.id !== u.id) {
      throw new AppError("conflict", `a user ${u.email} exists already`);
    }
    if (!u.id) {
      const user = await tx.user.create({
        data: { email: u.email, name, role: u.role, passwordHash, departments: { create: departments.map((d) => ({ departmentId: d.id })) } },
      });
      await recordAuditEvent(tx, { action: "user.create", userId: actor.id, subject: `user ${user.id}`, detail: `${u.email}: ${u.role}; departments ${codes || "none"}` });

      return { id: user.id, ...(u.password ? {} : { password }) };
    }
    const existing = await tx.user.findUnique({ where: { id: u.id } });
    if (!existing) {
      throw new AppError("not_found", "no such user");
    }
    if (existing.role === "admin" && u.role !== "admin" && existing.active && (await tx.user.count({ where: { role: "admin", active: true } })) <= 1) {
      throw new AppError("conflict", "the last active admin keeps the admin role");
    }
    await tx.user.update({ where: { id: u.id }, data: { email: u.email, name, role: u.role } });
    await tx.userDepartment.deleteMany({ where: { userId: u.id } });
    await tx.userDepartment.createMany({ data: departments.map((d) => ({ userId: u.id!, departmentId: d.id })) });
    await recordAuditEvent(tx, {
      action: "user.update",
      userId: actor.id,
      subject: `user ${u.id}`,
      detail: `${u.email}: ${existing.role === u.role ? u.role : `${existing.role} → ${u.role}`}; departments ${codes || "none"}`,
    });

    return { id: u.id };
  });
};
