/**
 * CSV import of a department's catalog (the format of export-catalog-csv.ts). All or nothing: every row is
 * validated first (zod, plus references: routing bucket names, duplicates within the file) and any error returns
 * the row-numbered list without writing anything. Rows update the item with the same (code, scheme) — columns
 * left out of the file keep the item's current values; an empty cell clears an optional text field (body site,
 * laterality, mapping) and keeps the others — or create a new one; items not in the file are untouched.
 * Each created or changed item gets a version, as an edit in the UI does.
 */
import { z } from "zod";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { DEFAULT_FIELDS, fieldsOf, ZCatalogFields, type TCatalogFields } from "./catalog-item-fields";
import { assertCatalogAccess } from "./assert-catalog-access";
import { parseCsv, readCell } from "./csv";
import { CATALOG_CSV_COLUMNS } from "./export-catalog-csv";
import { writeCatalogItem } from "./write-catalog-item";

export const MAX_IMPORT_ROWS = 2000;

export type TImportResult =
  | { ok: true; created: number; updated: number; unchanged: number }
  | { ok: false; errors: { row: number; message: string }[] };

const ZBool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((s) => ["true", "false", "yes", "no", "1", "0"].includes(s), "must be true or false")
  .transform((s) => ["true", "yes", "1"].includes(s));
const ZInt = z.string().trim().regex(/^\d+$/, "must be a whole number ≥ 0").transform(Number);

type TColumn = (typeof CATALOG_CSV_COLUMNS)[number];

/**
 * Import CSV text into a department's catalog; audited.
 * @param db - database client
 * @param user - the caller (manager of the department, or admin)
 * @param departmentId - the department
 * @param text - the CSV document with a header row
 * @returns counts, or the errors by row number (the header is row 1) when nothing was applied
 */
export const importCatalogCsv = async (db: TDb, user: TSessionUser, departmentId: string, text: string): Promise<TImportResult> => {
  await assertCatalogAccess(db, user, departmentId);
  const department = await db.department.findUnique({ where: { id: departmentId } });
  if (!department) {
    throw new AppError("not_found", "no such department");
  }
  let rows: string[][];
  try {
    rows = parseCsv(text);
  } catch (error) {
    return { ok: false, errors: [{ row: 0, message: `not readable as CSV: ${(error as Error).message}` }] };
  }
  const header = (rows[0] ?? []).map((h) => h.trim());
  const unknown = header.filter((h) => !(CATALOG_CSV_COLUMNS as readonly string[]).includes(h));
  const missing = (["code", "scheme", "meaning"] as const).filter((c) => !header.includes(c));
  if (unknown.length > 0 || missing.length > 0 || new Set(header).size !== header.length) {
    const problems = [
      ...(missing.length ? [`missing column(s) ${missing.join(", ")}`] : []),
      ...(unknown.length ? [`unknown column(s) ${unknown.join(", ")}`] : []),
      ...(new Set(header).size !== header.length ? ["a column appears twice"] : []),
    ];

    return { ok: false, errors: [{ row: 1, message: `header: ${problems.join("; ")} (expected ${CATALOG_CSV_COLUMNS.join(",")})` }] };
  }
  const body = rows.map((cells, i) => ({ cells, row: i + 1 })).slice(1).filter((r) => r.cells.some((c) => c.trim() !== ""));
  if (body.length > MAX_IMPORT_ROWS) {
    return { ok: false, errors: [{ row: 0, message: `at most ${MAX_IMPORT_ROWS} rows per import` }] };
  }
  const existing = await db.catalogItem.findMany({ where: { departmentId } });
  const rules = await db.routingRule.findMany({ where: { active: true }, select: { id: true, name: true } });
  const maxOrder = Math.max(-10, ...existing.map((i) => i.sortOrder));
  const errors: { row: number; message: string }[] = [];
  const planned: { row: number; id?: string; fields: TCatalogFields }[] = [];
  const seen = new Map<string, number>();
  for (const { cells, row } of body) {
    const get = (c: TColumn): string | undefined => {
      const at = header.indexOf(c);
      return at < 0 ? undefined : readCell(cells[at] ?? "");
    };
    if (cells.length !== header.length) {
      errors.push({ row, message: `has ${cells.length} cells, the header has ${header.length}` });
      continue;
    }
    const key = `${get("code")?.trim()}\u0000${get("scheme")?.trim()}`;
    const current = existing.find((i) => `${i.code}\u0000${i.scheme}` === key);
    const base: TCatalogFields = current
      ? fieldsOf(current)
      : { ...DEFAULT_FIELDS, code: "", scheme: "", meaning: "", sortOrder: maxOrder + 10 * (planned.filter((p) => !p.id).length + 1) };
    const problems: string[] = [];
    // A missing column keeps the current value (the default for a new item). An empty cell clears an optional text
    // field (body site, laterality, mapping) and keeps the current value of the others.
    const take = <T>(c: TColumn, schema: z.ZodType<T>, fallback: T, empty: T = fallback): T => {
      const raw = get(c);
      if (raw === undefined) {
        return fallback;
      }
      if (raw.trim() === "") {
        return empty;
      }
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        problems.push(`${c}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
        return fallback;
      }
      return parsed.data;
    };
    const ruleName = get("routingRule")?.trim();
    const rule = ruleName ? rules.find((r) => r.name === ruleName) : undefined;
    if (ruleName && !rule) {
      problems.push(`routingRule: no active routing bucket named "${ruleName}"`);
    }
    const candidate = {
      ...base,
      code: get("code") ?? base.code,
      scheme: get("scheme") ?? base.scheme,
      meaning: get("meaning") ?? base.meaning,
      modality: take("modality", z.string().trim().toUpperCase(), base.modality),
      allowedMedia: take("allowedMedia", z.string().transform((s) => s.split(/[,;|]/).map((m) => m.trim().toLowerCase()).filter(Boolean)), base.allowedMedia as string[]),
      bodySiteCode: take("bodySiteCode", z.string().trim(), base.bodySiteCode, ""),
      requireBodySite: take("requireBodySite", ZBool, base.requireBodySite),
      laterality: take("laterality", z.string().trim().toUpperCase(), base.laterality as string, ""),
      mappedCode: take("mappedCode", z.string().trim(), base.mappedCode, ""),
      mappedScheme: take("mappedScheme", z.string().trim().toUpperCase(), base.mappedScheme as string, ""),
      mappedMeaning: take("mappedMeaning", z.string().trim(), base.mappedMeaning, ""),
      routingRuleId: get("routingRule") === undefined ? base.routingRuleId : (rule?.id ?? null),
      active: take("active", ZBool, base.active),
      sortOrder: take("sortOrder", ZInt, base.sortOrder),
    };
    const parsed = ZCatalogFields.safeParse(candidate);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((i) => `${String(i.path[0] ?? "row")}: ${i.message}`));
    }
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push(`code ${get("code")} (${get("scheme")}) is already on row ${earlier}`);
    }
    seen.set(key, row);
    if (problems.length > 0 || !parsed.success) {
      errors.push({ row, message: [...new Set(problems)].join("; ") });
      continue;
    }
    planned.push({ row, id: current?.id, fields: parsed.data });
  }
  if (errors.length > 0) {
    return { ok: false, errors };
  }

  return db.$transaction(
    async (tx) => {
      let created = 0;
      let updated = 0;
      for (const p of planned) {
        const result = await writeCatalogItem(tx, { departmentId, id: p.id, fields: p.fields, changedById: user.id });
        created += result.created ? 1 : 0;
        updated += !result.created && result.changed.length > 0 ? 1 : 0;
      }
      const unchanged = planned.length - created - updated;
      await recordAuditEvent(tx, {
        action: "catalog.import",
        userId: user.id,
        subject: `department ${department.code}`,
        detail: `${created} created, ${updated} updated, ${unchanged} unchanged`,
      });

      return { ok: true as const, created, updated, unchanged };
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
};
