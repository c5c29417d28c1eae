"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { createDestination } from "@/lib/forwarding/create-destination";
import { testDestination } from "@/lib/forwarding/test-destination";

export type TDestinationFormState = { message: string; ok: boolean };
const ZDestinationSchema = z.object({
  name: z.string().trim().min(1, "name is required").max(64),
  url: z.string().trim().min(1, "a STOW-RS base URL (https://…) or a C-STORE address (dicom://AE@host:port) is required"),
  enabled: z.boolean(),
});

/** Add or update a STOW-RS or C-STORE destination (admins only). */
export const saveDestination = async (_prev: TDestinationFormState, form: FormData): Promise<TDestinationFormState> => {
  await requireUser(undefined, ["admin"]);
  const parsed = ZDestinationSchema.safeParse({ name: form.get("name"), url: form.get("url"), enabled: form.get("enabled") === "on" });
  if (!parsed.success) {
    return { ok: false, message: parsed.error.issues.map((i) => i.message).join("; ") };
  }
  try {
    const r = await createDestination(getDb(), parsed.data);
    revalidatePath("/admin/destinations");

    return { ok: true, message: `Saved ${parsed.data.name}.${r.queued ? ` ${r.queued} waiting image(s) queued to it.` : ""}` };
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
