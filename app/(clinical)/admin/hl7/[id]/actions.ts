"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { reprocessMessage } from "@/lib/hl7/reprocess-message";

export type TReprocessState = { message: string };

/** Reprocess a failed inbound message (admins only). */
export const reprocess = async (_prev: TReprocessState, form: FormData): Promise<TReprocessState> => {
  const user = await requireUser(undefined, ["admin"]);
  const id = z.string().min(1).parse(form.get("id"));
  const db = getDb();
  try {
    const r = await reprocessMessage(db, id);
    await recordAuditEvent(db, { action: "hl7.reprocess", userId: user.id, subject: id, detail: `ACK ${r.ackCode}` });
    revalidatePath(`/admin/hl7/${id}`);

    return { message: `Reprocessed: ACK ${r.ackCode}.` };
  } catch (error) {
    return { message: error instanceof AppError ? error.message : "reprocessing failed" };
  }
};
