/**
 * Routing ("buckets"): which destinations an instance goes to, and with which identity.
 *
 * Semantics, in this order:
 * 1. **Catalog-item bucket.** When the study's catalog item names a rule (CatalogItem.routingRuleId) and that rule
 *    is active, only that rule applies: its current version's targets, its identity; its conditions are not
 *    checked (naming the bucket on the item is the stronger statement).
 * 2. **Conditions.** Otherwise every active rule whose current version's non-empty conditions all hold (facility
 *    code of the encounter, department code of the catalog item, catalog item id, modality, SOP Class UID; "" means
 *    any) applies, in RoutingRule.sortOrder (then name). When two rules send one instance to the same destination,
 *    the first wins (its version and identity are recorded).
 * 3. **No rules at all.** When no rule is active, every enabled destination receives the instance with no rule
 *    version (`ruleVersionId` null): the behaviour before routing existed.
 * 4. **Unrouted.** When rules exist but none applies (or the ones that apply have no target), the result is empty:
 *    the caller records the instance as unrouted (audit event) and the routing admin page lists it.
 *
 * Targets that are disabled destinations are still routed: their jobs wait until the destination is enabled again
 * (disabling is an operational pause, not a routing change).
 *
 * resolveRoutes is pure (unit-tested); loadRoutingTable reads what it needs from the database in two queries, so a
 * capture of many instances resolves them all against one snapshot inside its transaction.
 */
import type { TDb, TTx } from "../db";

/** Identity a bucket stamps into the objects it sends ("" = as captured). */
export type TBucketIdentity = {
  issuerOfPatientId: string;
  institutionName: string;
  institutionDepartmentName: string;
  sourceSystemCode: string;
};

/** What routing looks at, for one instance. */
export type TRouteInput = {
  /** Facility.code of the encounter ("" when the encounter has no facility). */
  facilityCode: string;
  /** Department.code of the study's catalog item (the capturing department). */
  departmentCode: string;
  catalogItemId: string;
  /** The bucket the catalog item names (CatalogItem.routingRuleId), if any. */
  catalogItemRuleId: string | null;
  modality: string;
  sopClassUid: string;
};

export type TRuleConditions = {
  facilityCode: string;
  departmentCode: string;
  catalogItemId: string;
  modality: string;
  sopClassUid: string;
};

/** An active rule with its current version, as loadRoutingTable returns it. */
export type TRoutingRuleEntry = {
  ruleId: string;
  ruleName: string;
  sortOrder: number;
  versionId: string;
  version: number;
  conditions: TRuleConditions;
  identity: TBucketIdentity;
  destinationIds: string[];
};

export type TRoutingTable = {
  /** Active rules only, in evaluation order. */
  rules: TRoutingRuleEntry[];
  /** Enabled destinations, for the no-rules fallback. */
  enabledDestinationIds: string[];
};

export type TRoute = {
  destinationId: string;
  /** null: fallback (no active rule) or a manual re-delivery. */
  ruleVersionId: string | null;
  identity: TBucketIdentity;
};

export type TRouteResolution = {
  /** rule: decided by rules (catalog-item bucket or conditions); fallback: no active rule exists. */
  mode: "bucket" | "rules" | "fallback";
  routes: TRoute[];
  /** Ids of the rules that applied (in order), for previews and audit. */
  ruleIds: string[];
};

export const EMPTY_IDENTITY: TBucketIdentity = {
  issuerOfPatientId: "",
  institutionName: "",
  institutionDepartmentName: "",
  sourceSystemCode: "",
};

const CONDITION_KEYS = ["facilityCode", "departmentCode", "catalogItemId", "modality", "sopClassUid"] as const;

/**
 * True when every non-empty condition equals the instance's value (modality compared case-insensitively).
 * @param conditions - a rule version's conditions
 * @param input - the instance's routing attributes
 */
export const matchesConditions = (conditions: TRuleConditions, input: TRouteInput): boolean =>
  CONDITION_KEYS.every((key) => {
    const want = conditions[key].trim();
    if (want === "") {
      return true;
    }
    const have = input[key].trim();

    return key === "modality" ? want.toUpperCase() === have.toUpperCase() : want === have;
  });

/**
 * Resolve one instance's routes against a routing table (see the module comment for the semantics).
 * @param table - active rules in order and the enabled destinations
 * @param input - the instance's facility, department, catalog item (and its bucket), modality, SOP class
 * @returns the mode and the routes, one per destination; empty routes with mode "rules" means unrouted
 */
export const resolveRoutes = (table: TRoutingTable, input: TRouteInput): TRouteResolution => {
  if (table.rules.length === 0) {
    return {
      mode: "fallback",
      routes: table.enabledDestinationIds.map((destinationId) => ({ destinationId, ruleVersionId: null, identity: EMPTY_IDENTITY })),
      ruleIds: [],
    };
  }
  const bucket = input.catalogItemRuleId ? table.rules.find((r) => r.ruleId === input.catalogItemRuleId) : undefined;
  const applying = bucket ? [bucket] : table.rules.filter((r) => matchesConditions(r.conditions, input));
  const routes: TRoute[] = [];
  const seen = new Set<string>();
  for (const rule of applying) {
    for (const destinationId of rule.destinationIds) {
      if (!seen.has(destinationId)) {
        seen.add(destinationId);
        routes.push({ destinationId, ruleVersionId: rule.versionId, identity: rule.identity });
      }
    }
  }

  return { mode: bucket ? "bucket" : "rules", routes, ruleIds: applying.map((r) => r.ruleId) };
};

/**
 * Read the active rules (current version, targets) and the enabled destinations.
 * @param db - client or the capture's transaction
 * @returns the routing table resolveRoutes evaluates
 */
export const loadRoutingTable = async (db: TDb | TTx): Promise<TRoutingTable> => {
  const rules = await db.routingRule.findMany({
    where: { active: true },
    orderBy: [{ sortOrder: "asc" }, { name: "asc" }],
    select: {
      id: true,
      name: true,
      sortOrder: true,
      currentVersion: true,
      // currentVersion is always the highest version (save-routing-rule.ts): the newest version is the current one.
      versions: {
        orderBy: { version: "desc" },
        take: 1,
        select: {
          id: true, version: true, facilityCode: true, departmentCode: true, catalogItemId: true, modality: true,
          sopClassUid: true, issuerOfPatientId: true, institutionName: true, institutionDepartmentName: true,
          sourceSystemCode: true, targets: { select: { destinationId: true } },
        },
      },
    },
  });
  const destinations = await db.destination.findMany({ where: { enabled: true }, select: { id: true }, orderBy: { name: "asc" } });
  const entries: TRoutingRuleEntry[] = [];
  for (const rule of rules) {
    const v = rule.versions.find((x) => x.version === rule.currentVersion);
    if (!v) {
      continue;
    }
    entries.push({
      ruleId: rule.id,
      ruleName: rule.name,
      sortOrder: rule.sortOrder,
      versionId: v.id,
      version: v.version,
      conditions: { facilityCode: v.facilityCode, departmentCode: v.departmentCode, catalogItemId: v.catalogItemId, modality: v.modality, sopClassUid: v.sopClassUid },
      identity: {
        issuerOfPatientId: v.issuerOfPatientId,
        institutionName: v.institutionName,
        institutionDepartmentName: v.institutionDepartmentName,
        sourceSystemCode: v.sourceSystemCode,
      },
      destinationIds: v.targets.map((t) => t.destinationId).sort(),
    });
  }

  return { rules: entries, enabledDestinationIds: destinations.map((d) => d.id) };
};
