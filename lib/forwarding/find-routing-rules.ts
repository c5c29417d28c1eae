/**
 * The routing rules for the admin page: each rule with its current version (conditions, targets, identity) and,
 * on request, every version (history, newest first). Versions are never changed, so the history is exact.
 */
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { assertAdmin } from "./assert-admin";

const VERSION_SELECT = {
  id: true, version: true, createdAt: true, createdById: true, facilityCode: true, departmentCode: true,
  catalogItemId: true, modality: true, sopClassUid: true, issuerOfPatientId: true, institutionName: true,
  institutionDepartmentName: true, sourceSystemCode: true,
  targets: { select: { destination: { select: { id: true, name: true, enabled: true } } } },
  _count: { select: { deliveries: true } },
} as const;

/**
 * @param db - database client
 * @param actor - the admin
 * @returns rules in evaluation order, each with its versions (newest first; versions[0] is the current one)
 */
export const findRoutingRules = async (db: TDb, actor: TSessionUser) => {
  assertAdmin(actor);
  const rules = await db.routingRule.findMany({
    orderBy: [{ sortOrder: "asc" }, { name: "asc" }],
    select: {
      id: true, name: true, active: true, sortOrder: true, currentVersion: true, updatedAt: true,
      versions: { orderBy: { version: "desc" }, select: VERSION_SELECT },
      catalogItems: { select: { id: true, code: true, meaning: true } },
    },
  });

  return rules.map((r) => ({ ...r, current: r.versions.find((v) => v.version === r.currentVersion) ?? null }));
};

export type TRoutingRuleView = Awaited<ReturnType<typeof findRoutingRules>>[number];
