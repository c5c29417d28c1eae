"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { routeUnroutedInstances } from "@/lib/forwarding/find-unrouted-instances";
import { previewRouting, type TPreviewAnswer } from "@/lib/forwarding/preview-routing";
import { redeliverInstances, type TRedeliveryCounts } from "@/lib/forwarding/redeliver-instances";
import { moveRoutingRule } from "@/lib/forwarding/reorder-routing-rules";
import { saveRoutingRule } from "@/lib/forwarding/save-routing-rule";
import { setRoutingRuleActive } from "@/lib/forwarding/set-routing-rule-active";

export type TRuleFormState = { ok: boolean; message: string };

const text = (form: FormData, name: string): string => String(form.get(name) ?? "");

/** Create or edit a routing rule (admins only): a new version every time. */
export const saveRuleAction = async (_prev: TRuleFormState, form: FormData): Promise<TRuleFormState> => {
  const user = await requireUser(undefined, ["admin"]);
  const id = text(form, "id");
  let saved;
  try {
    saved = await saveRoutingRule(getDb(), user, {
      id: id || undefined,
      expectedVersion: id ? Number(text(form, "expectedVersion")) || undefined : undefined,
      name: text(form, "name"),
      facilityCode: text(form, "facilityCode"),
      departmentCode: text(form, "departmentCode"),
      catalogItemId: text(form, "catalogItemId"),
      modality: text(form, "modality"),
      sopClassUid: text(form, "sopClassUid"),
      issuerOfPatientId: text(form, "issuerOfPatientId"),
      institutionName: text(form, "institutionName"),
      institutionDepartmentName: text(form, "institutionDepartmentName"),
      sourceSystemCode: text(form, "sourceSystemCode"),
      destinationIds: form.getAll("destinationIds").map(String),
    });
  } catch (error) {
    return { ok: false, message: error instanceof AppError ? error.message : "could not save the rule" };
  }
  revalidatePath("/admin/routing");
  if (id) {
    revalidatePath(`/admin/routing/${id}`);

    return { ok: true, message: `Saved as version ${saved.version}. Jobs already queued keep the version that created them.` };
  }
  redirect(`/admin/routing?saved=${encodeURIComponent(saved.id)}`);
};

/** Activate or deactivate a rule (admins only). */
export const toggleRuleAction = async (form: FormData): Promise<void> => {
  const user = await requireUser(undefined, ["admin"]);
  await setRoutingRuleActive(getDb(), user, z.string().min(1).parse(form.get("id")), form.get("active") === "true");
  revalidatePath("/admin/routing");
};

/** Move a rule one place up or down in the evaluation order (admins only). */
export const moveRuleAction = async (form: FormData): Promise<void> => {
  const user = await requireUser(undefined, ["admin"]);
  await moveRoutingRule(getDb(), user, z.string().min(1).parse(form.get("id")), form.get("direction") === "up" ? -1 : 1);
  revalidatePath("/admin/routing");
};

export type TPreviewState = { message: string; answers: TPreviewAnswer[]; values: Record<string, string> };

/** Where would this capture (or this study) go, with which identity? (admins only) */
export const previewAction = async (_prev: TPreviewState, form: FormData): Promise<TPreviewState> => {
  const user = await requireUser(undefined, ["admin"]);
  const study = text(form, "studyInstanceUid").trim();
  const values = Object.fromEntries(
    ["facilityCode", "departmentCode", "catalogItemId", "modality", "sopClassUid", "studyInstanceUid"].map((k) => [k, text(form, k)]),
  );
  try {
    const answers = study
      ? await previewRouting(getDb(), user, { studyInstanceUid: study })
      : await previewRouting(getDb(), user, {
          facilityCode: text(form, "facilityCode"),
          departmentCode: text(form, "departmentCode"),
          catalogItemId: text(form, "catalogItemId") || undefined,
          modality: text(form, "modality"),
          sopClassUid: text(form, "sopClassUid"),
        });

    return { message: "", answers, values };
  } catch (error) {
    return { message: error instanceof AppError ? error.message : "could not preview", answers: [], values };
  }
};

/** Route every unrouted capture again, after a rule was added or changed (admins only). */
export const routeUnroutedAction = async (): Promise<void> => {
  const user = await requireUser(undefined, ["admin"]);
  await routeUnroutedInstances(getDb(), user);
  revalidatePath("/admin/routing");
};

export type TRedeliverState = {
  step: "choose" | "confirm" | "done" | "error";
  message: string;
  counts?: TRedeliveryCounts;
  scope?: string;
  destinationId?: string;
};

const ZScope = z.string().regex(/^(facility|rule):.+$/, "choose a facility or a rule");
const toScope = (value: string) =>
  value.startsWith("facility:") ? { facilityId: value.slice("facility:".length) } : { ruleId: value.slice("rule:".length) };

/** Re-delivery in two steps: count (dry run) and show it, then queue on confirmation (admins only). */
export const redeliverAction = async (_prev: TRedeliverState, form: FormData): Promise<TRedeliverState> => {
  const user = await requireUser(undefined, ["admin"]);
  const parsed = z
    .object({ scope: ZScope, destinationId: z.string().min(1, "choose a destination"), confirm: z.enum(["yes", "no"]) })
    .safeParse({ scope: form.get("scope"), destinationId: form.get("destinationId"), confirm: form.get("confirm") ?? "no" });
  if (!parsed.success) {
    return { step: "error", message: parsed.error.issues.map((i) => i.message).join("; ") };
  }
  const { scope, destinationId, confirm } = parsed.data;
  try {
    const counts = await redeliverInstances(getDb(), user, { scope: toScope(scope), destinationId, dryRun: confirm !== "yes" });
    revalidatePath("/admin/routing/export");

    return { step: confirm === "yes" ? "done" : "confirm", message: "", counts, scope, destinationId };
  } catch (error) {
    return { step: "error", message: error instanceof AppError ? error.message : "could not re-deliver" };
  }
};
