"use server";

import { revalidatePath } from "next/cache";
import { issueApiToken, revokeApiToken } from "@/lib/auth/api-tokens";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";

export type TTokenState = { ok: boolean; message: string; token?: string };

/** Issue an API token; the token is in the answer once and never again. */
export const issueTokenAction = async (_prev: TTokenState, form: FormData): Promise<TTokenState> => {
  const actor = await requireUser(undefined, ["admin"]);
  try {
    const { token } = await issueApiToken(getDb(), actor, { userId: String(form.get("userId") ?? ""), label: String(form.get("label") ?? "") });
    revalidatePath("/admin/tokens");

    return { ok: true, message: "Copy the token now: it is not shown again.", token };
  } catch (error) {
    return { ok: false, message: error instanceof AppError ? error.message : "could not create the token" };
  }
};

/** Revoke a token by its id. */
export const revokeTokenAction = async (_prev: TTokenState, form: FormData): Promise<TTokenState> => {
  const actor = await requireUser(undefined, ["admin"]);
  try {
    await revokeApiToken(getDb(), actor, String(form.get("id") ?? ""));
    revalidatePath("/admin/tokens");

    return { ok: true, message: "Revoked." };
  } catch (error) {
    return { ok: false, message: error instanceof AppError ? error.message : "could not revoke the token" };
  }
};
