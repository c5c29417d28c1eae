/**
 * "Where would this capture go, and with which identity?": the routing preview of the admin page. It evaluates the
 * same resolveRoutes over the same loadRoutingTable as enqueueDeliveries, so its answer is what a capture made now
 * would get; for an existing study it resolves each of its instances as if they were captured now.
 */
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { AppError } from "../errors";
import { assertAdmin } from "./assert-admin";
import { loadRouteInputs } from "./enqueue-deliveries";
import { loadRoutingTable, resolveRoutes, type TBucketIdentity, type TRouteInput, type TRoutingTable } from "./resolve-routes";

export type TPreviewInput =
  | { facilityCode: string; departmentCode?: string; catalogItemId?: string; modality: string; sopClassUid?: string }
  | { studyInstanceUid: string };

export type TPreviewRoute = {
  destinationId: string;
  destinationName: string;
  destinationEnabled: boolean;
  ruleVersionId: string | null;
  ruleName: string | null;
  version: number | null;
  identity: TBucketIdentity;
};

export type TPreviewAnswer = {
  /** What the instance is (the SOP Instance UID for a study preview, else "capture"). */
  subject: string;
  mode: "bucket" | "rules" | "fallback";
  unrouted: boolean;
  routes: TPreviewRoute[];
};

const describe = async (db: TDb, table: TRoutingTable, subject: string, input: TRouteInput): Promise<TPreviewAnswer> => {
  const { mode, routes } = resolveRoutes(table, input);
  const destinations = await db.destination.findMany({
    where: { id: { in: routes.map((r) => r.destinationId) } },
    select: { id: true, name: true, enabled: true },
  });
  const byId = new Map(destinations.map((d) => [d.id, d]));
  const ruleOf = new Map(table.rules.map((r) => [r.versionId, r]));

  return {
    subject,
    mode,
    unrouted: routes.length === 0 && mode !== "fallback",
    routes: routes.map((r) => {
      const rule = r.ruleVersionId ? ruleOf.get(r.ruleVersionId) : undefined;
      const dest = byId.get(r.destinationId);

      return {
        destinationId: r.destinationId,
        destinationName: dest?.name ?? r.destinationId,
        destinationEnabled: dest?.enabled ?? false,
        ruleVersionId: r.ruleVersionId,
        ruleName: rule?.ruleName ?? null,
        version: rule?.version ?? null,
        identity: r.identity,
      };
    }),
  };
};

/**
 * @param db - database client
 * @param actor - the admin asking
 * @param input - facility code, department code, catalog item id, modality (SOP class optional), or a study
 * @returns one answer for a capture, or one per instance of the study
 * @throws AppError not_found (unknown catalog item or study), bad_request
 */
export const previewRouting = async (db: TDb, actor: TSessionUser, input: TPreviewInput): Promise<TPreviewAnswer[]> => {
  assertAdmin(actor);
  const table = await loadRoutingTable(db);
  if ("studyInstanceUid" in input) {
    const study = await db.study.findUnique({
      where: { studyInstanceUid: input.studyInstanceUid.trim() },
      select: { series: { select: { instances: { select: { id: true } } } } },
    });
    if (!study) {
      throw new AppError("not_found", "no study with this Study Instance UID");
    }
    const ids = study.series.flatMap((s) => s.instances.map((i) => i.id));
    const inputs = await loadRouteInputs(db, ids);
    const answers: TPreviewAnswer[] = [];
    for (const id of ids) {
      const i = inputs.get(id);
      if (i) {
        answers.push(await describe(db, table, i.sopInstanceUid, i));
      }
    }

    return answers;
  }
  let departmentCode = input.departmentCode?.trim() ?? "";
  let catalogItemRuleId: string | null = null;
  if (input.catalogItemId) {
    const item = await db.catalogItem.findUnique({
      where: { id: input.catalogItemId },
      select: { routingRuleId: true, department: { select: { code: true } } },
    });
    if (!item) {
      throw new AppError("not_found", "catalog item not found");
    }
    // The capturing department is the catalog item's: routing sees exactly what a capture of this item would.
    departmentCode = item.department.code;
    catalogItemRuleId = item.routingRuleId;
  }

  return [
    await describe(db, table, "capture", {
      facilityCode: input.facilityCode.trim(),
      departmentCode,
      catalogItemId: input.catalogItemId ?? "",
      catalogItemRuleId,
      modality: input.modality.trim().toUpperCase(),
      sopClassUid: input.sopClassUid?.trim() ?? "",
    }),
  ];
};
