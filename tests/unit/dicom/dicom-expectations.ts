/**
 * What a wrapped photo must contain, and small readers used to check it with dcmjs, dcmdump and pydicom.
 */
import dcmjs, { type TNaturalDataset } from "dcmjs";
import type { TPhotoContext } from "@/lib/dicom/wrap-photo";

/** [keyword, tag as dcmdump prints it, VR, value as text (multiple values joined with "\")]. */
export type TExpectedAttribute = [keyword: string, tag: string, vr: string, value: string];

export type TPixelExpectation = { rows: number; columns: number; samples: number; photometric: string };

/** Every top-level attribute the issue requires, with the value it must have for `ctx`. */
export const expectedAttributes = (
  ctx: TPhotoContext,
  sopClassUid: string,
  px: TPixelExpectation,
): TExpectedAttribute[] => [
  ["SpecificCharacterSet", "0008,0005", "CS", "ISO_IR 192"],
  ["ImageType", "0008,0008", "CS", "ORIGINAL\\PRIMARY"],
  ["SOPClassUID", "0008,0016", "UI", sopClassUid],
  ["SOPInstanceUID", "0008,0018", "UI", ctx.instance.sopInstanceUid],
  ["StudyDate", "0008,0020", "DA", "20250314"],
  ["ContentDate", "0008,0023", "DA", "20250314"],
  ["AcquisitionDateTime", "0008,002a", "DT", "20250314093102.005"],
  ["StudyTime", "0008,0030", "TM", "093015.250"],
  ["ContentTime", "0008,0033", "TM", "093102.005"],
  ["AccessionNumber", "0008,0050", "SH", ""],
  ["Modality", "0008,0060", "CS", ctx.series.modality],
  ["Manufacturer", "0008,0070", "LO", "Encounter Capture"],
  ["InstitutionName", "0008,0080", "LO", "General Hospital"],
  ["ReferringPhysicianName", "0008,0090", "PN", "Attending^Anna"],
  ["StudyDescription", "0008,1030", "LO", "Dermatology photo"],
  ["SeriesDescription", "0008,103e", "LO", "Left forearm"],
  ["OperatorsName", "0008,1070", "PN", "Clinician^Derm"],
  ["PatientName", "0010,0010", "PN", "Müller^Jörg^^Dr"],
  ["PatientID", "0010,0020", "LO", "MRN-000123"],
  ["IssuerOfPatientID", "0010,0021", "LO", "GENHOSP"],
  ["PatientBirthDate", "0010,0030", "DA", "19700102"],
  ["PatientSex", "0010,0040", "CS", "M"],
  ["StudyInstanceUID", "0020,000d", "UI", ctx.study.studyInstanceUid],
  ["SeriesInstanceUID", "0020,000e", "UI", ctx.series.seriesInstanceUid],
  ["StudyID", "0020,0010", "SH", "CAP42"],
  ["SeriesNumber", "0020,0011", "IS", "3"],
  ["InstanceNumber", "0020,0013", "IS", "7"],
  ["PatientOrientation", "0020,0020", "CS", ""],
  ["ImageLaterality", "0020,0062", "CS", "L"],
  ["SamplesPerPixel", "0028,0002", "US", String(px.samples)],
  ["PhotometricInterpretation", "0028,0004", "CS", px.photometric],
  ...(px.samples > 1 ? [["PlanarConfiguration", "0028,0006", "US", "0"] as TExpectedAttribute] : []),
  ["Rows", "0028,0010", "US", String(px.rows)],
  ["Columns", "0028,0011", "US", String(px.columns)],
  ["BitsAllocated", "0028,0100", "US", "8"],
  ["BitsStored", "0028,0101", "US", "8"],
  ["HighBit", "0028,0102", "US", "7"],
  ["PixelRepresentation", "0028,0103", "US", "0"],
  ["LossyImageCompression", "0028,2110", "CS", "01"],
  ["LossyImageCompressionMethod", "0028,2114", "CS", "ISO_10918_1"],
  ["AdmissionID", "0038,0010", "LO", "V-2025-0042"],
];

/** A dcmjs or pydicom value as text: arrays joined with "\", PN objects by their alphabetic group. */
export const asText = (v: unknown): string => {
  if (v === null || v === undefined) {
    return "";
  }
  if (Array.isArray(v)) {
    return v.map(asText).join("\\");
  }
  if (typeof v === "object" && "Alphabetic" in v) {
    return String((v as { Alphabetic: unknown }).Alphabetic ?? "");
  }
  return String(v);
};

/** Reads a DICOM file with dcmjs and naturalizes meta and dataset. */
export const readWithDcmjs = (file: Buffer): { meta: TNaturalDataset; dataset: TNaturalDataset } => {
  const ab = file.buffer.slice(file.byteOffset, file.byteOffset + file.length) as ArrayBuffer;
  const dict = dcmjs.data.DicomMessage.readFile(ab);
  return {
    meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta),
    dataset: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict),
  };
};

/** Top-level elements of a `dcmdump -Un` listing: "gggg,eeee" → { vr, value } ("" for no value). */
export const parseDcmdump = (dump: string): Map<string, { vr: string; value: string }> => {
  const out = new Map<string, { vr: string; value: string }>();
  for (const line of dump.split("\n")) {
    const m = /^\(([0-9a-f]{4},[0-9a-f]{4})\) (\w\w) (.*?)\s+#/.exec(line);
    if (m) {
      const raw = m[3] ?? "";
      const value = raw === "(no value available)" ? "" : raw.replace(/^\[(.*)\]$/, "$1");
      out.set(m[1] ?? "", { vr: m[2] ?? "", value });
    }
  }
  return out;
};

/** The items of the encapsulated Pixel Data, parsed from the raw file bytes; also checks nothing follows them. */
export const pixelItemsOf = (file: Buffer): { items: Buffer[]; endsAtDelimiter: boolean } => {
  const header = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  let pos = file.indexOf(header);
  if (pos < 0) {
    throw new Error("no encapsulated Pixel Data element (7FE0,0010) OB with undefined length");
  }
  pos += header.length;
  const items: Buffer[] = [];
  while (pos + 8 <= file.length) {
    const [group, element, length] = [file.readUInt16LE(pos), file.readUInt16LE(pos + 2), file.readUInt32LE(pos + 4)];
    pos += 8;
    if (group === 0xfffe && element === 0xe0dd) {
      return { items, endsAtDelimiter: length === 0 && pos === file.length };
    }
    items.push(file.subarray(pos, pos + length));
    pos += length;
  }
  return { items, endsAtDelimiter: false };
};
