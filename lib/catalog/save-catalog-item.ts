import { recordAuditEvent } from "../audit/record-audit-event";
import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { DEFAULT_FIELDS, ZCatalogFields, type TCatalogFields } from "./catalog-item-fields";
import { assertCatalogAccess } from "./assert-catalog-access";
import { writeCatalogItem, type TWriteResult } from "./write-catalog-item";

export type TSaveCatalogItemInput = Omit<TCatalogFields, "active" | "sortOrder"> & {
  /** Omit to create an item (appended at the end of the department's list, active). */
  id?: string;
  /** The department (required when creating; must match the item's when editing). */
  departmentId: string;
  /** The version the editor started from: a newer stored version means someone else changed it (conflict). */
  expectedVersion?: number;
};

/**
 * Create or edit a catalog item (managers of its department, admins); versioned and audited in one transaction.
 * @param db - database client
 * @param user - the caller
 * @param input - the item's fields (validated here with ZCatalogFields)
 * @returns id, version, whether created, the fields that changed
 */
export const saveCatalogItem = async (db: TDb, user: TSessionUser, input: TSaveCatalogItemInput): Promise<TWriteResult> => {
  await assertCatalogAccess(db, user, input.departmentId);
  const department = await db.department.findUnique({ where: { id: input.departmentId }, select: { id: true } });
  if (!department) {
    throw new AppError("not_found", "no such department");
  }

  return db.$transaction(async (tx) => {
    const existing = input.id ? await tx.catalogItem.findUnique({ where: { id: input.id } }) : null;
    if (input.id && (!existing || existing.departmentId !== input.departmentId)) {
      throw new AppError("not_found", "no such catalog item");
    }
    if (existing && input.expectedVersion !== undefined && existing.version !== input.expectedVersion) {
      throw new AppError("conflict", `the item was changed meanwhile (now version ${existing.version}); reload and try again`);
    }
    const last = existing ? null : await tx.catalogItem.aggregate({ where: { departmentId: input.departmentId }, _max: { sortOrder: true } });
    const parsed = ZCatalogFields.safeParse({
      ...DEFAULT_FIELDS,
      ...input,
      active: existing ? existing.active : true,
      sortOrder: existing ? existing.sortOrder : (last?._max.sortOrder ?? -10) + 10,
    });
    if (!parsed.success) {
      throw new AppError("bad_request", parsed.error.issues.map((i) => i.message).join("; "));
    }
    const result = await writeCatalogItem(tx, { departmentId: input.departmentId, id: input.id, fields: parsed.data, changedById: user.id });
    if (result.changed.length > 0) {
      await recordAuditEvent(tx, {
        action: "catalog.save",
        userId: user.id,
        subject: `catalog item ${result.id} v${result.version}`,
        detail: result.created ? `created ${parsed.data.code} (${parsed.data.scheme})` : `changed ${result.changed.join(", ")}`,
      });
    }

    return result;
  });
};
