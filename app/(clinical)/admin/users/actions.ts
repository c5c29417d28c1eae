"use server";

import { revalidatePath } from "next/cache";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { resetUserPassword } from "@/lib/users/reset-user-password";
import { saveUser } from "@/lib/users/save-user";
import { setUserActive } from "@/lib/users/set-user-active";

/** `secret`: a password to show once (a new user's generated first password, or a reset). */
export type TUserState = { ok: boolean; message: string; secret?: string };

const fail = (error: unknown, fallback: string): TUserState => ({ ok: false, message: error instanceof AppError ? error.message : fallback });

/** Create a user or change name, role and departments (admins only, checked again in lib). */
export const saveUserAction = async (_prev: TUserState, form: FormData): Promise<TUserState> => {
  const actor = await requireUser(undefined, ["admin"]);
  const id = String(form.get("id") ?? "") || undefined;
  try {
    const result = await saveUser(getDb(), actor, {
      id,
      email: String(form.get("email") ?? ""),
      name: String(form.get("name") ?? ""),
      role: String(form.get("role") ?? "") as "clinician",
      departmentIds: form.getAll("departmentIds").map(String),
      password: id ? undefined : String(form.get("password") ?? ""),
    });
    revalidatePath("/admin/users");
    if (result.password) {
      return { ok: true, message: "User created. Their first password (shown only now):", secret: result.password };
    }

    return { ok: true, message: id ? "Saved." : "User created." };
  } catch (error) {
    return fail(error, "could not save the user");
  }
};

/** Deactivate or reactivate a user. */
export const setUserActiveAction = async (_prev: TUserState, form: FormData): Promise<TUserState> => {
  const actor = await requireUser(undefined, ["admin"]);
  const active = form.get("active") === "true";
  try {
    await setUserActive(getDb(), actor, String(form.get("id") ?? ""), active);
    revalidatePath("/admin/users");

    return { ok: true, message: active ? "Reactivated." : "Deactivated." };
  } catch (error) {
    return fail(error, "could not change the user");
  }
};

/** Give a user a new random password, shown once. */
export const resetPasswordAction = async (_prev: TUserState, form: FormData): Promise<TUserState> => {
  const actor = await requireUser(undefined, ["admin"]);
  try {
    const password = await resetUserPassword(getDb(), actor, String(form.get("id") ?? ""));

    return { ok: true, message: "New password (shown only now):", secret: password };
  } catch (error) {
    return fail(error, "could not reset the password");
  }
};
