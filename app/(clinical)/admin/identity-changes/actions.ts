"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { resolveIdentityChange } from "@/lib/worklist/resolve-identity-change";

/** Mark an identity change as handled in the archive (admins only). */
export const markResolved = async (form: FormData): Promise<void> => {
  const user = await requireUser(undefined, ["admin"]);
  const id = z.string().min(1).parse(form.get("id"));
  const db = getDb();
  if (await resolveIdentityChange(db, id, true)) {
    await recordAuditEvent(db, { action: "identity-change.resolve", userId: user.id, subject: id });
  }
  revalidatePath("/admin/identity-changes");
};
