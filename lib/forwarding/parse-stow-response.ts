/**
 * Reads the Store Instances Response Module out of a STOW-RS response body in the DICOM JSON Model
 * (PS3.18 §10.5.3, Annex F): which SOP Instances the origin server stored (ReferencedSOPSequence) and which it
 * did not (FailedSOPSequence), with their WarningReason / FailureReason codes.
 */

/** What the response said about one SOP Instance. */
export type TStowResponseEntry = {
  /** Listed in ReferencedSOPSequence (0008,1199): stored. */
  referenced: boolean;
  /** WarningReason (0008,1196) of the referenced item, e.g. 0xB000 coercion of data elements. */
  warningReason?: number;
  /** Listed in FailedSOPSequence (0008,1198): not stored. */
  failed: boolean;
  /** FailureReason (0008,1197) of the failed item, e.g. 0xA700 out of resources, 0xC000 cannot understand. */
  failureReason?: number;
};

const TAG_FAILED_SOP_SEQUENCE = "00081198";
const TAG_REFERENCED_SOP_SEQUENCE = "00081199";
const TAG_REFERENCED_SOP_INSTANCE_UID = "00081155";
const TAG_WARNING_REASON = "00081196";
const TAG_FAILURE_REASON = "00081197";

type TJsonAttribute = { vr?: string; Value?: unknown[] };
type TJsonDataset = Record<string, TJsonAttribute | undefined>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const firstValue = (item: TJsonDataset, tag: string): unknown => item[tag]?.Value?.[0];

/** US values are JSON numbers in the DICOM JSON Model; tolerate decimal strings from lenient servers. */
const readCode = (v: unknown): number | undefined => {
  if (typeof v === "number" && Number.isInteger(v)) {
    return v;
  }
  if (typeof v === "string" && /^\d+$/.test(v.trim())) {
    return Number.parseInt(v.trim(), 10);
  }

  return undefined;
};

const sequenceItems = (dataset: TJsonDataset, tag: string): TJsonDataset[] =>
  (dataset[tag]?.Value ?? []).filter(isObject) as TJsonDataset[];

/**
 * Parse a STOW-RS response body. Anything that is not DICOM JSON (empty, XML, HTML error page) yields an empty
 * map: the caller then knows only the HTTP status, and an instance missing from the map was not confirmed.
 * @param body - the response body as text
 * @returns per SOP Instance UID, what the response said about it
 */
export const parseStowResponse = (body: string): Map<string, TStowResponseEntry> => {
  const entries = new Map<string, TStowResponseEntry>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return entries;
  }
  // The model is one object; some servers wrap it in a one-element array.
  const dataset = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!isObject(dataset)) {
    return entries;
  }
  const root = dataset as TJsonDataset;
  for (const item of sequenceItems(root, TAG_REFERENCED_SOP_SEQUENCE)) {
    const uid = firstValue(item, TAG_REFERENCED_SOP_INSTANCE_UID);
    if (typeof uid === "string") {
      entries.set(uid, { referenced: true, failed: false, warningReason: readCode(firstValue(item, TAG_WARNING_REASON)) });
    }
  }
  // A failure entry wins over a reference for the same UID: never call stored what the server also reports failed.
  for (const item of sequenceItems(root, TAG_FAILED_SOP_SEQUENCE)) {
    const uid = firstValue(item, TAG_REFERENCED_SOP_INSTANCE_UID);
    if (typeof uid === "string") {
      entries.set(uid, { referenced: false, failed: true, failureReason: readCode(firstValue(item, TAG_FAILURE_REASON)) });
    }
  }

  return entries;
};
