/**
 * The one writer of catalog items: every change bumps CatalogItem.version and stores a CatalogItemVersion snapshot
 * of the editable fields in the caller's transaction, so a capture's Study.catalogVersion always names content
 * that can be shown again. Items made before versioning (the demo seed, version 1 without a snapshot) get their
 * original content recorded as that version before the first change.
 */
import type { TTx } from "../db";
import { AppError } from "../errors";
import { changedFields, columnsOf, fieldsOf, type TCatalogFields } from "./catalog-item-fields";

export type TWriteResult = { id: string; version: number; created: boolean; changed: (keyof TCatalogFields)[] };

/**
 * Create an item (version 1) or change one (version + 1); nothing is written when no field changed.
 * @param tx - transaction
 * @param input - departmentId, the item id to change (omit to create), validated fields, who changes it
 */
export const writeCatalogItem = async (
  tx: TTx,
  input: { departmentId: string; id?: string; fields: TCatalogFields; changedById: string },
): Promise<TWriteResult> => {
  const { fields } = input;
  const clash = await tx.catalogItem.findUnique({
    where: { departmentId_code_scheme: { departmentId: input.departmentId, code: fields.code, scheme: fields.scheme } },
    select: { id: true },
  });
  if (clash && clash.id !== input.id) {
    throw new AppError("conflict", `the department already has an item ${fields.code} (${fields.scheme})`);
  }
  if (fields.routingRuleId) {
    const rule = await tx.routingRule.findUnique({ where: { id: fields.routingRuleId }, select: { active: true } });
    if (!rule?.active) {
      throw new AppError("bad_request", "the routing bucket does not exist or is not active");
    }
  }
  const snapshot = (f: TCatalogFields): string => JSON.stringify({ ...f, allowedMedia: columnsOf(f).allowedMedia.split(",") });
  if (!input.id) {
    const item = await tx.catalogItem.create({ data: { departmentId: input.departmentId, ...columnsOf(fields), version: 1 } });
    await tx.catalogItemVersion.create({ data: { itemId: item.id, version: 1, snapshot: snapshot(fields), changedById: input.changedById } });

    return { id: item.id, version: 1, created: true, changed: Object.keys(fields) as (keyof TCatalogFields)[] };
  }
  const existing = await tx.catalogItem.findUnique({ where: { id: input.id } });
  if (!existing || existing.departmentId !== input.departmentId) {
    throw new AppError("not_found", "no such catalog item");
  }
  const before = fieldsOf(existing);
  const changed = changedFields(before, fields);
  if (changed.length === 0) {
    return { id: existing.id, version: existing.version, created: false, changed };
  }
  const known = await tx.catalogItemVersion.findUnique({ where: { itemId_version: { itemId: existing.id, version: existing.version } }, select: { id: true } });
  if (!known) {
    await tx.catalogItemVersion.create({ data: { itemId: existing.id, version: existing.version, snapshot: snapshot(before), changedById: null, createdAt: existing.createdAt } });
  }
  // Compare-and-set on the version: two concurrent edits cannot both become version n + 1.
  const version = existing.version + 1;
  const updated = await tx.catalogItem.updateMany({ where: { id: existing.id, version: existing.version }, data: { ...columnsOf(fields), version } });
  if (updated.count !== 1) {
    throw new AppError("conflict", "the item was changed meanwhile; reload and try again");
  }
  await tx.catalogItemVersion.create({ data: { itemId: existing.id, version, snapshot: snapshot(fields), changedById: input.changedById } });

  return { id: existing.id, version, created: false, changed };
};
