"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { requeueJobs } from "@/lib/forwarding/requeue-jobs";

const ZRequeue = z.object({
  action: z.enum(["resend", "cancel"]),
  destinationId: z.string().min(1),
  jobId: z.string().min(1).optional(),
});

/** Resend or cancel one job or all eligible jobs of a destination (admins only). */
export const requeueAction = async (form: FormData): Promise<void> => {
  const user = await requireUser(undefined, ["admin"]);
  const input = ZRequeue.parse({
    action: form.get("action"),
    destinationId: form.get("destinationId"),
    jobId: form.get("jobId") || undefined,
  });
  await requeueJobs(getDb(), { ...input, userId: user.id });
  revalidatePath(`/admin/destinations/${input.destinationId}`);
};
