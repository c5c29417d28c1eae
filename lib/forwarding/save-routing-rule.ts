/**
 * Create or edit a routing rule ("bucket"). Every save adds a new, never-changed RoutingRuleVersion with its
 * targets and points RoutingRule.currentVersion at it, in one transaction: jobs already queued keep the version
 * that created them (DeliveryJob.ruleVersionId), new captures use the new one. Audited (`routing-rule.save`).
 */
import { z } from "zod";
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { AppError } from "../errors";
import { recordAuditEvent } from "../audit/record-audit-event";
import { assertAdmin } from "./assert-admin";

/** DICOM LO (PS3.5 Table 6.2-1): at most 64 characters, no backslash or control characters. */
const ZLo = z
  .string()
  .trim()
  .max(64, "at most 64 characters (DICOM LO)")
  .regex(/^[^\\\u0000-\u001f]*$/, "no backslash or control characters");

/** DICOM AE (PS3.5 Table 6.2-1): at most 16 characters of the default repertoire, no backslash. */
const ZAe = z
  .string()
  .trim()
  .max(16, "at most 16 characters (an AE title)")
  .regex(/^[\u0020-\u005b\u005d-\u007e]*$/, "letters, digits and ASCII punctuation only, no backslash");

export const ZRoutingRuleInput = z.object({
  /** Absent: create. */
  id: z.string().min(1).optional(),
  /** Edit only: the version the editor started from (optimistic concurrency). */
  expectedVersion: z.number().int().positive().optional(),
  name: z.string().trim().min(1, "a name is required").max(100),
  facilityCode: z.string().trim().max(64).default(""),
  departmentCode: z.string().trim().max(64).default(""),
  catalogItemId: z.string().trim().max(64).default(""),
  modality: z.string().trim().toUpperCase().max(16).regex(/^[A-Z0-9_]*$/, "a DICOM modality code, e.g. XC").default(""),
  sopClassUid: z.string().trim().max(64).regex(/^[0-9.]*$/, "a UID (digits and dots)").default(""),
  issuerOfPatientId: ZLo.default(""),
  institutionName: ZLo.default(""),
  institutionDepartmentName: ZLo.default(""),
  sourceSystemCode: ZAe.default(""),
  destinationIds: z.array(z.string().min(1)).min(1, "choose at least one destination"),
});
export type TRoutingRuleInput = z.input<typeof ZRoutingRuleInput>;

/**
 * @param db - database client
 * @param actor - the admin making the change
 * @param input - rule name, conditions, identity, destinations (validated with ZRoutingRuleInput)
 * @returns the rule id and its new current version
 * @throws AppError bad_request (invalid input, unknown destination), not_found, conflict (edited meanwhile)
 */
export const saveRoutingRule = async (
  db: TDb,
  actor: TSessionUser,
  input: TRoutingRuleInput,
): Promise<{ id: string; version: number; versionId: string }> => {
  assertAdmin(actor);
  const parsed = ZRoutingRuleInput.safeParse(input);
  if (!parsed.success) {
    throw new AppError("bad_request", parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; "));
  }
  const { id, expectedVersion, name, destinationIds, ...fields } = parsed.data;
  const targets = [...new Set(destinationIds)];

  try {
    return await db.$transaction(async (tx) => {
      const known = await tx.destination.count({ where: { id: { in: targets } } });
      if (known !== targets.length) {
        throw new AppError("bad_request", "a chosen destination does not exist");
      }
      if (fields.catalogItemId && !(await tx.catalogItem.findUnique({ where: { id: fields.catalogItemId }, select: { id: true } }))) {
        throw new AppError("bad_request", "the chosen catalog item does not exist");
      }
      let ruleId: string;
      let version: number;
      if (id) {
        const rule = await tx.routingRule.findUnique({ where: { id } });
        if (!rule) {
          throw new AppError("not_found", "routing rule not found");
        }
        if (expectedVersion !== undefined && expectedVersion !== rule.currentVersion) {
          throw new AppError("conflict", `the rule was changed meanwhile (now version ${rule.currentVersion}); reload and edit again`);
        }
        version = rule.currentVersion + 1;
        // Compare-and-set on the version: of two concurrent edits, one wins and the other gets a conflict.
        const { count } = await tx.routingRule.updateMany({
          where: { id, currentVersion: rule.currentVersion },
          data: { name, currentVersion: version },
        });
        if (count !== 1) {
          throw new AppError("conflict", "the rule was changed meanwhile; reload and edit again");
        }
        ruleId = id;
      } else {
        const last = await tx.routingRule.aggregate({ _max: { sortOrder: true } });
        const rule = await tx.routingRule.create({ data: { name, currentVersion: 1, sortOrder: (last._max.sortOrder ?? -1) + 1 } });
        ruleId = rule.id;
        version = 1;
      }
      const created = await tx.routingRuleVersion.create({
        data: { ruleId, version, ...fields, createdById: actor.id, targets: { create: targets.map((destinationId) => ({ destinationId })) } },
      });
      await recordAuditEvent(tx, {
        action: "routing-rule.save",
        userId: actor.id,
        subject: name,
        detail: `rule ${ruleId} version ${version}: ${JSON.stringify({ ...fields, destinationIds: targets })}`,
      });

      return { id: ruleId, version, versionId: created.id };
    });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") {
      throw new AppError("conflict", "a rule with this name exists already, or the rule was changed meanwhile");
    }
    throw error;
  }
};
