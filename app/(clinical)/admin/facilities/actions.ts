"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { saveFacility } from "@/lib/worklist/save-facility";

export type TFacilityState = { ok: boolean; message: string };

const ZFacility = z.object({
  code: z.string().max(64),
  name: z.string().max(64),
  mrnAuthority: z.string().max(64),
  mrnAuthorityOid: z.string().max(64),
});

/** Create or change a facility (admins only). */
export const saveFacilityAction = async (_prev: TFacilityState, form: FormData): Promise<TFacilityState> => {
  const user = await requireUser(undefined, ["admin"]);
  const parsed = ZFacility.safeParse({
    code: form.get("code") ?? "",
    name: form.get("name") ?? "",
    mrnAuthority: form.get("mrnAuthority") ?? "",
    mrnAuthorityOid: form.get("mrnAuthorityOid") ?? "",
  });
  if (!parsed.success) {
    return { ok: false, message: parsed.error.issues.map((i) => i.message).join("; ") };
  }
  try {
    const db = getDb();
    const result = await saveFacility(db, parsed.data);
    await recordAuditEvent(db, {
      action: "facility.save",
      userId: user.id,
      subject: parsed.data.code,
      detail: `MRN authority ${parsed.data.mrnAuthority}`,
    });
    revalidatePath("/admin/facilities");
    const warning =
      result.patientsUnderPreviousAuthority > 0
        ? ` ${result.patientsUnderPreviousAuthority} patient(s) were registered under the previous MRN authority; later messages are keyed on the new one.`
        : "";

    return { ok: true, message: `${result.created ? "Created" : "Saved"}.${warning}` };
  } catch (error) {
    return { ok: false, message: error instanceof AppError ? error.message : "could not save the facility" };
  }
};
