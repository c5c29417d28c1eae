"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { saveLocationMapping } from "@/lib/worklist/save-location-mapping";

export type TMappingState = { ok: boolean; message: string };
const ZMappingSchema = z.object({
  facilityCode: z.string().max(64),
  pointOfCare: z.string().trim().min(1, "point of care is required").max(64),
  departmentCode: z.string({ error: "choose a department (or remove the mapping)" }).max(32),
});

/** Create, change or (with no department) remove a location → department mapping (admins only). */
export const saveMapping = async (_prev: TMappingState, form: FormData): Promise<TMappingState> => {
  await requireUser(undefined, ["admin"]);
  const parsed = ZMappingSchema.safeParse({
    facilityCode: form.get("facilityCode") ?? "",
    pointOfCare: form.get("pointOfCare") ?? "",
    // "-" is the form's explicit "remove this mapping" choice; an empty value is refused.
    departmentCode: form.get("departmentCode") === "-" ? "" : form.get("departmentCode") || undefined,
  });
  if (!parsed.success) {
    return { ok: false, message: parsed.error.issues.map((i) => i.message).join("; ") };
  }
  try {
    const { updated } = await saveLocationMapping(getDb(), parsed.data);
    revalidatePath("/admin/locations");

    return { ok: true, message: `Saved. ${updated} encounter(s) moved to another worklist.` };
  } catch (error) {
    return { ok: false, message: error instanceof AppError ? error.message : "could not save the mapping" };
  }
};
