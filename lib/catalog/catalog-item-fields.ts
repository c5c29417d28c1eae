/**
 * The editable fields of a catalog item, their validation (zod) and the JSON snapshot kept per version
 * (CatalogItemVersion.snapshot). Codes follow DICOM PS3.3 §8.8: Code Value and Coding Scheme Designator are SH
 * (≤ 16 characters, no backslash), Code Meaning is LO (≤ 64).
 */
import { z } from "zod";
import { findBodySite } from "./body-sites";

export const MODALITIES = ["XC", "ES", "US"] as const;
export const MEDIA = ["photo", "video", "ultrasound"] as const;
export const LATERALITIES = ["", "R", "L", "B", "U"] as const;
export const MAPPED_SCHEMES = ["", "SCT", "LN"] as const;

export type TMedia = (typeof MEDIA)[number];

/** The editable content of an item; also the shape of a version snapshot. */
export type TCatalogFields = {
  code: string;
  scheme: string;
  meaning: string;
  modality: (typeof MODALITIES)[number];
  allowedMedia: TMedia[];
  bodySiteCode: string;
  requireBodySite: boolean;
  laterality: (typeof LATERALITIES)[number];
  mappedCode: string;
  mappedScheme: (typeof MAPPED_SCHEMES)[number];
  mappedMeaning: string;
  routingRuleId: string | null;
  active: boolean;
  sortOrder: number;
};

const sh = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `${what} is required`)
    .max(16, `${what} is at most 16 characters (DICOM SH)`)
    .refine((s) => !s.includes("\\"), `${what} may not contain a backslash`);

/** Validation of the editable fields, including the rules that tie fields together. */
export const ZCatalogFields = z
  .object({
    code: sh("code"),
    scheme: sh("scheme"),
    meaning: z.string().trim().min(1, "display text is required").max(64, "display text is at most 64 characters (DICOM LO)"),
    modality: z.enum(MODALITIES, { error: "modality must be XC, ES or US" }),
    allowedMedia: z.array(z.enum(MEDIA, { error: "media must be photo, video or ultrasound" })).min(1, "allow at least one kind of media"),
    bodySiteCode: z.string().trim().refine((c) => c === "" || !!findBodySite(c), "unknown body site code"),
    requireBodySite: z.boolean(),
    laterality: z.enum(LATERALITIES, { error: "laterality must be R, L, B, U or empty" }),
    mappedCode: z.string().trim().max(16, "mapped code is at most 16 characters"),
    mappedScheme: z.enum(MAPPED_SCHEMES, { error: "mapping scheme must be SCT (SNOMED CT), LN (LOINC) or empty" }),
    mappedMeaning: z.string().trim().max(64, "mapped meaning is at most 64 characters"),
    routingRuleId: z.string().trim().nullable().transform((v) => v || null),
    active: z.boolean(),
    sortOrder: z.number().int().min(0).max(1_000_000),
  })
  .superRefine((f, ctx) => {
    if (f.mappedScheme && (!f.mappedCode || !f.mappedMeaning)) {
      ctx.addIssue({ code: "custom", path: ["mappedCode"], message: "a mapping needs its code and meaning" });
    }
    if (!f.mappedScheme && (f.mappedCode || f.mappedMeaning)) {
      ctx.addIssue({ code: "custom", path: ["mappedScheme"], message: "choose the mapping's scheme (SCT or LN)" });
    }
    if (f.mappedScheme === "SCT" && f.mappedCode && !/^\d{6,16}$/.test(f.mappedCode)) {
      ctx.addIssue({ code: "custom", path: ["mappedCode"], message: "a SNOMED CT code is 6–16 digits" });
    }
    if (f.mappedScheme === "LN" && f.mappedCode && !/^\d{1,7}-\d$/.test(f.mappedCode)) {
      ctx.addIssue({ code: "custom", path: ["mappedCode"], message: "a LOINC code looks like 12345-6" });
    }
    if (f.modality === "US" && !f.allowedMedia.includes("ultrasound")) {
      ctx.addIssue({ code: "custom", path: ["allowedMedia"], message: "an ultrasound (US) item must allow ultrasound media" });
    }
    if (f.modality !== "US" && !f.allowedMedia.some((m) => m !== "ultrasound")) {
      ctx.addIssue({ code: "custom", path: ["allowedMedia"], message: "an XC or ES item must allow photo or video" });
    }
  });

/** Defaults of a new item (the schema's column defaults). */
export const DEFAULT_FIELDS: Omit<TCatalogFields, "code" | "scheme" | "meaning" | "sortOrder"> = {
  modality: "XC",
  allowedMedia: ["photo", "video"],
  bodySiteCode: "",
  requireBodySite: false,
  laterality: "",
  mappedCode: "",
  mappedScheme: "",
  mappedMeaning: "",
  routingRuleId: null,
  active: true,
};

type TItemRow = Omit<TCatalogFields, "allowedMedia" | "modality" | "laterality" | "mappedScheme"> & {
  allowedMedia: string;
  modality: string;
  laterality: string;
  mappedScheme: string;
};

/**
 * The editable fields of a stored row (allowedMedia split, unknown values kept as they are).
 * @param row - a CatalogItem row
 */
export const fieldsOf = (row: TItemRow): TCatalogFields => ({
  code: row.code,
  scheme: row.scheme,
  meaning: row.meaning,
  modality: row.modality as TCatalogFields["modality"],
  allowedMedia: row.allowedMedia.split(",").map((m) => m.trim()).filter(Boolean) as TMedia[],
  bodySiteCode: row.bodySiteCode,
  requireBodySite: row.requireBodySite,
  laterality: row.laterality as TCatalogFields["laterality"],
  mappedCode: row.mappedCode,
  mappedScheme: row.mappedScheme as TCatalogFields["mappedScheme"],
  mappedMeaning: row.mappedMeaning,
  routingRuleId: row.routingRuleId,
  active: row.active,
  sortOrder: row.sortOrder,
});

/**
 * The columns to write for the fields (allowedMedia joined in the canonical order).
 * @param f - validated fields
 */
export const columnsOf = (f: TCatalogFields) => ({
  ...f,
  allowedMedia: MEDIA.filter((m) => f.allowedMedia.includes(m)).join(","),
});

/**
 * The names of the fields that differ between two versions (for the history view and "nothing changed").
 * @param a - before
 * @param b - after
 */
export const changedFields = (a: Partial<TCatalogFields>, b: TCatalogFields): (keyof TCatalogFields)[] =>
  (Object.keys(b) as (keyof TCatalogFields)[]).filter((k) => JSON.stringify(canonical(k, a[k])) !== JSON.stringify(canonical(k, b[k])));

const canonical = (k: keyof TCatalogFields, v: unknown): unknown =>
  k === "allowedMedia" && Array.isArray(v) ? MEDIA.filter((m) => (v as string[]).includes(m)) : v;
