"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { createDestination, ZDestinationInputSchema } from "@/lib/forwarding/create-destination";
import { updateDestination } from "@/lib/forwarding/update-destination";
import { testDestination } from "@/lib/forwarding/test-destination";

export type TDestinationFormState = { message: string; ok: boolean };

const text = (form: FormData, key: string): string => String(form.get(key) ?? "");

/** Add a destination, or update one when the form carries its id (admins only). The secret is never echoed. */
export const saveDestination = async (_prev: TDestinationFormState, form: FormData): Promise<TDestinationFormState> => {
  const user = await requireUser(undefined, ["admin"]);
  const id = text(form, "id");
  const parsed = ZDestinationInputSchema.safeParse({
    name: text(form, "name"), url: text(form, "url"), enabled: form.get("enabled") === "on", authType: text(form, "authType") || "none",
    authUsername: text(form, "authUsername"), authSecret: text(form, "authSecret"), caCertPem: text(form, "caCertPem"),
    maxParallel: text(form, "maxParallel") || 8,
  });
  if (!parsed.success) {
    return { ok: false, message: parsed.error.issues.map((i) => i.message).join("; ") };
  }
  const db = getDb();
  try {
    let queued = 0;
    if (id) {
      await updateDestination(db, id, parsed.data);
    } else {
      queued = (await createDestination(db, parsed.data)).queued;
    }
    const { name, url, authType, maxParallel, caCertPem } = parsed.data;
    await recordAuditEvent(db, {
      action: "destination.save", userId: user.id, subject: name,
      detail: `${url} auth=${authType} ca=${caCertPem ? "custom" : "system"} maxParallel=${maxParallel}`,
    });
    revalidatePath("/admin/destinations");

    return { ok: true, message: `Saved ${name}.${queued ? ` ${queued} waiting image(s) queued to it.` : ""}` };
  } catch (error) {
    return { ok: false, message: error instanceof AppError ? error.message : "could not save the destination" };
  }
};

/** Enable or disable a destination (admins only). */
export const toggleDestination = async (form: FormData): Promise<void> => {
  await requireUser(undefined, ["admin"]);
  const id = z.string().min(1).parse(form.get("id"));
  const db = getDb();
  const dest = await db.destination.findUnique({ where: { id } });
  if (dest) {
    await db.destination.update({ where: { id }, data: { enabled: !dest.enabled } });
  }
  revalidatePath("/admin/destinations");
};

export type TConnectionState = { ok: boolean; message: string };

/** Test a destination's connection: C-ECHO or a QIDO-RS query (admins only). */
export const testDestinationAction = async (_prev: TConnectionState, form: FormData): Promise<TConnectionState> => {
  await requireUser(undefined, ["admin"]);
  const id = z.string().min(1).parse(form.get("id"));
  const r = await testDestination(getDb(), id);

  return { ok: r.ok, message: `${r.ok ? "Reachable" : "Not reachable"}: ${r.detail} (${r.ms} ms)` };
};
