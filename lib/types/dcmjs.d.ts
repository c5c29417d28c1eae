/**
 * Minimal ambient types for the parts of dcmjs 0.52 that lib/dicom uses (dcmjs ships no types).
 * Datasets are kept loose on purpose: naturalized datasets are keyword → value maps, denaturalized ones are
 * DICOM JSON-like maps keyed by "GGGGEEEE".
 */
declare module "dcmjs" {
  /** A naturalized dataset: DICOM keywords (e.g. `PatientID`) to values; sequences are arrays of datasets. */
  export type TNaturalDataset = { [keyword: string]: unknown; _vrMap?: Record<string, string> };
  /** A denaturalized dataset: "GGGGEEEE" tags to `{ vr, Value }`. */
  export type TDenaturalDataset = Record<string, { vr: string; Value?: unknown[] }>;

  class DicomDict {
    constructor(meta: TDenaturalDataset);
    meta: TDenaturalDataset;
    dict: TDenaturalDataset;
    /** Serializes preamble, "DICM", File Meta (with group length) and the dataset. */
    write(options?: { allowInvalidVRLength?: boolean; fragmentMultiframe?: boolean }): ArrayBuffer;
  }

  const dcmjs: {
    data: {
      DicomDict: typeof DicomDict;
      DicomMessage: {
        readFile(
          buffer: ArrayBuffer,
          options?: { ignoreErrors?: boolean; untilTag?: string | null; noCopy?: boolean; forceStoreRaw?: boolean },
        ): DicomDict;
      };
      DicomMetaDictionary: {
        naturalizeDataset(dataset: TDenaturalDataset): TNaturalDataset;
        denaturalizeDataset(dataset: TNaturalDataset): TDenaturalDataset;
        nameMap: Record<string, { tag: string; vr: string; vm: string; name: string } | undefined>;
      };
    };
    log: { setLevel(level: "trace" | "debug" | "info" | "warn" | "error" | "silent"): void };
  };
  export default dcmjs;
}
