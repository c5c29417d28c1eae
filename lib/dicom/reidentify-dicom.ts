/**
 * Re-identifies a DICOM file exported by a device (point-of-care ultrasound, …): pixels and acquisition attributes
 * stay byte for byte, the patient and encounter identity becomes the ADT data of the encounter picked in the app,
 * and the previous values are kept both for the caller (database) and inside the object, as an item of the Original
 * Attributes Sequence (0400,0561) (PS3.3 C.12.1.1.9; Reason for the Attribute Modification COERCE or CORRECT).
 *
 * Only the elements we change are encoded; every other element, the Pixel Data element and whatever follows it are
 * copied as they are, in the source's own transfer syntax (implicit or explicit VR little endian, or encapsulated).
 * Every file gets new Study / Series / SOP Instance UIDs: the caller passes the capture's Study Instance UID and a
 * function mapping each original Series Instance UID to a new one, so the files of one device study land in one new
 * study and keep their series grouping. Rules and rejections: lib/dicom/README.md, "Ultrasound and imported DICOM".
 */
import { DicomImportError } from "@/lib/dicom/dicom-import-errors";
import { toDicomDateTime, toPersonName } from "@/lib/dicom/format-dicom-values";
import type { TPhotoContext } from "@/lib/dicom/photo-context";
import {
  readDicomFile,
  textOf,
  uint16Of,
  valueOf,
  type TDicomFile,
  type TRawElement,
} from "@/lib/dicom/read-dicom-file";
import {
  createUid,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  requireUid,
  VL_ENDOSCOPIC_IMAGE_STORAGE,
  VL_PHOTOGRAPHIC_IMAGE_STORAGE,
} from "@/lib/dicom/uids";
import { encodeElement, encodeItem, encodeSequence, writeReidentifiedFile } from "@/lib/dicom/write-reidentified";

/** What the capture flow knows from ADT (PID, PV1): the same shapes as for photos. */
export type TReidentifyContext = Pick<TPhotoContext, "patient" | "encounter">;

/** New UIDs of a multi-file capture: one study, one new series per original series. */
export type TReidentifyUids = {
  /** The capture's Study Instance UID, the same for every file of the capture. */
  studyInstanceUid: string;
  /** New Series Instance UID for an original one; the same input must give the same UID (createSeriesUidMap). */
  seriesInstanceUidFor: (originalSeriesInstanceUid: string) => string;
  /** New SOP Instance UID; minted when absent. */
  sopInstanceUid?: string;
};

/** The identity found in the source file, for the database (values decoded as text, "" when absent). */
export type TOriginalIdentity = {
  patientName: string;
  patientId: string;
  issuerOfPatientId: string;
  patientBirthDate: string;
  patientSex: string;
  accessionNumber: string;
  admissionId: string;
  institutionName: string;
  referringPhysicianName: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  /** Every attribute we replaced, inserted or removed, as "(GGGG,EEEE)". */
  changedTags: string[];
};

export type TReidentifyResult = {
  sopClassUid: string;
  transferSyntaxUid: string;
  size: number;
  sha256: string;
  rows: number;
  columns: number;
  frames: number;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  original: TOriginalIdentity;
};

/** A tag as (group << 16 | element), unsigned — the form read-dicom-file.ts reports. */
export const t = (group: number, element: number): number => ((group << 16) | element) >>> 0;
const hex = (tag: number): string =>
  `(${(tag >>> 16).toString(16).padStart(4, "0")},${(tag & 0xffff).toString(16).padStart(4, "0")})`.toUpperCase();

/** Tags this module (and lib/dicom/stamp-bucket-identity.ts) writes. */
export const TAG = {
  SpecificCharacterSet: t(0x0008, 0x0005),
  SOPClassUID: t(0x0008, 0x0016),
  SOPInstanceUID: t(0x0008, 0x0018),
  StudyDate: t(0x0008, 0x0020),
  AccessionNumber: t(0x0008, 0x0050),
  InstitutionName: t(0x0008, 0x0080),
  ReferringPhysicianName: t(0x0008, 0x0090),
  PatientName: t(0x0010, 0x0010),
  PatientID: t(0x0010, 0x0020),
  IssuerOfPatientID: t(0x0010, 0x0021),
  IssuerOfPatientIDQualifiersSequence: t(0x0010, 0x0024),
  PatientBirthDate: t(0x0010, 0x0030),
  PatientSex: t(0x0010, 0x0040),
  PatientAge: t(0x0010, 0x1010),
  StudyInstanceUID: t(0x0020, 0x000d),
  SeriesInstanceUID: t(0x0020, 0x000e),
  SamplesPerPixel: t(0x0028, 0x0002),
  PhotometricInterpretation: t(0x0028, 0x0004),
  NumberOfFrames: t(0x0028, 0x0008),
  Rows: t(0x0028, 0x0010),
  Columns: t(0x0028, 0x0011),
  BitsAllocated: t(0x0028, 0x0100),
  AdmissionID: t(0x0038, 0x0010),
  IssuerOfAdmissionIDSequence: t(0x0038, 0x0014),
  UniversalEntityID: t(0x0040, 0x0032),
  UniversalEntityIDType: t(0x0040, 0x0033),
  LocalNamespaceEntityID: t(0x0040, 0x0031),
  ModifiedAttributesSequence: t(0x0400, 0x0550),
  OriginalAttributesSequence: t(0x0400, 0x0561),
  AttributeModificationDateTime: t(0x0400, 0x0562),
  ModifyingSystem: t(0x0400, 0x0563),
  SourceOfPreviousValues: t(0x0400, 0x0564),
  ReasonForTheAttributeModification: t(0x0400, 0x0565),
} as const;

/**
 * Removed because they describe the device's idea of the patient, encounter or order and would contradict the ADT
 * identity (Patient module C.7.1.1 identification/demographics, Patient Study visit identifiers C.7.2.2, order
 * attributes; the de-identification flags of C.7.1.1 / PS3.15 E.1, which become false once identity is restored;
 * signature-related attributes, which no longer verify). Clinical Patient Study attributes (size, weight, LMP,
 * pregnancy status, history) are kept: they describe the person who was scanned.
 */
const REMOVED_TAGS: ReadonlyMap<number, string> = new Map([
  [t(0x0008, 0x0051), "Issuer of Accession Number Sequence"],
  [t(0x0008, 0x1110), "Referenced Study Sequence"],
  [t(0x0008, 0x1120), "Referenced Patient Sequence"],
  [t(0x0010, 0x0022), "Type of Patient ID"],
  [t(0x0010, 0x0026), "Source Patient Group Identification Sequence"],
  [t(0x0010, 0x0027), "Group of Patients Identification Sequence"],
  [t(0x0010, 0x0032), "Patient's Birth Time"],
  [t(0x0010, 0x0033), "Patient's Birth Date in Alternative Calendar"],
  [t(0x0010, 0x0034), "Patient's Death Date in Alternative Calendar"],
  [t(0x0010, 0x0035), "Patient's Alternative Calendar"],
  [t(0x0010, 0x0050), "Patient's Insurance Plan Code Sequence"],
  [t(0x0010, 0x0101), "Patient's Primary Language Code Sequence"],
  [t(0x0010, 0x1000), "Other Patient IDs (retired)"],
  [t(0x0010, 0x1001), "Other Patient Names"],
  [t(0x0010, 0x1002), "Other Patient IDs Sequence"],
  [t(0x0010, 0x1005), "Patient's Birth Name"],
  [t(0x0010, 0x1040), "Patient's Address"],
  [t(0x0010, 0x1060), "Patient's Mother's Birth Name"],
  [t(0x0010, 0x1080), "Military Rank"],
  [t(0x0010, 0x1081), "Branch of Service"],
  [t(0x0010, 0x1090), "Medical Record Locator"],
  [t(0x0010, 0x1100), "Referenced Patient Photo Sequence"],
  [t(0x0010, 0x2150), "Country of Residence"],
  [t(0x0010, 0x2152), "Region of Residence"],
  [t(0x0010, 0x2154), "Patient's Telephone Numbers"],
  [t(0x0010, 0x2155), "Patient's Telecom Information"],
  [t(0x0010, 0x2160), "Ethnic Group"],
  [t(0x0010, 0x2180), "Occupation"],
  [t(0x0010, 0x21f0), "Patient's Religious Preference"],
  [t(0x0010, 0x2297), "Responsible Person"],
  [t(0x0010, 0x2298), "Responsible Person Role"],
  [t(0x0010, 0x2299), "Responsible Organization"],
  [t(0x0010, 0x4000), "Patient Comments"],
  [t(0x0012, 0x0040), "Clinical Trial Subject ID"],
  [t(0x0012, 0x0042), "Clinical Trial Subject Reading ID"],
  [t(0x0012, 0x0062), "Patient Identity Removed"],
  [t(0x0012, 0x0063), "De-identification Method"],
  [t(0x0012, 0x0064), "De-identification Method Code Sequence"],
  [t(0x0032, 0x1032), "Requesting Physician"],
  [t(0x0032, 0x1033), "Requesting Service"],
  [t(0x0038, 0x0011), "Issuer of Admission ID (retired)"],
  [t(0x0038, 0x0060), "Service Episode ID"],
  [t(0x0038, 0x0062), "Service Episode Description"],
  [t(0x0038, 0x0064), "Issuer of Service Episode ID Sequence"],
  [t(0x0038, 0x0300), "Current Patient Location"],
  [t(0x0038, 0x0400), "Patient's Institution Residence"],
  [t(0x0040, 0x0275), "Request Attributes Sequence"],
  [t(0x0040, 0x1001), "Requested Procedure ID"],
  [t(0x0040, 0x2016), "Placer Order Number / Imaging Service Request"],
  [t(0x0040, 0x2017), "Filler Order Number / Imaging Service Request"],
  [t(0x4ffe, 0x0001), "MAC Parameters Sequence"],
]);
/**
 * Image SOP Classes an imported (device-exported) file may have, with their names (PS3.4 Table B.5-1): ultrasound,
 * Secondary Capture family, VL family (not Whole Slide Microscopy). Anything else is refused by reidentifyDicom.
 */
export const IMPORTABLE_IMAGE_SOP_CLASSES: ReadonlyMap<string, string> = new Map([
  ["1.2.840.10008.5.1.4.1.1.6.1", "US Image"],
  ["1.2.840.10008.5.1.4.1.1.3.1", "US Multi-frame Image"],
  ["1.2.840.10008.5.1.4.1.1.6.2", "Enhanced US Volume"],
  ["1.2.840.10008.5.1.4.1.1.7", "Secondary Capture Image"],
  ["1.2.840.10008.5.1.4.1.1.7.1", "Multi-frame Single Bit Secondary Capture Image"],
  ["1.2.840.10008.5.1.4.1.1.7.2", "Multi-frame Grayscale Byte Secondary Capture Image"],
  ["1.2.840.10008.5.1.4.1.1.7.3", "Multi-frame Grayscale Word Secondary Capture Image"],
  ["1.2.840.10008.5.1.4.1.1.7.4", "Multi-frame True Color Secondary Capture Image"],
  [VL_ENDOSCOPIC_IMAGE_STORAGE, "VL Endoscopic Image"],
  ["1.2.840.10008.5.1.4.1.1.77.1.1.1", "Video Endoscopic Image"],
  ["1.2.840.10008.5.1.4.1.1.77.1.2", "VL Microscopic Image"],
  ["1.2.840.10008.5.1.4.1.1.77.1.2.1", "Video Microscopic Image"],
  ["1.2.840.10008.5.1.4.1.1.77.1.3", "VL Slide-Coordinates Microscopic Image"],
  [VL_PHOTOGRAPHIC_IMAGE_STORAGE, "VL Photographic Image"],
  ["1.2.840.10008.5.1.4.1.1.77.1.4.1", "Video Photographic Image"],
]);

/** Names of SOP Classes devices commonly export that we refuse, for error messages (PS3.4 Table B.5-1). */
export const REFUSED_SOP_CLASS_NAMES: ReadonlyMap<string, string> = new Map([
  ["1.2.840.10008.5.1.4.1.1.6", "US Image, retired"],
  ["1.2.840.10008.5.1.4.1.1.3", "US Multi-frame Image, retired"],
  ["1.2.840.10008.5.1.4.1.1.88.11", "Basic Text SR"],
  ["1.2.840.10008.5.1.4.1.1.88.22", "Enhanced SR"],
  ["1.2.840.10008.5.1.4.1.1.88.33", "Comprehensive SR"],
  ["1.2.840.10008.5.1.4.1.1.88.34", "Comprehensive 3D SR"],
  ["1.2.840.10008.5.1.4.1.1.88.59", "Key Object Selection Document"],
  ["1.2.840.10008.5.1.4.1.1.11.1", "Grayscale Softcopy Presentation State"],
  ["1.2.840.10008.5.1.4.1.1.11.2", "Color Softcopy Presentation State"],
  ["1.2.840.10008.5.1.4.1.1.104.1", "Encapsulated PDF"],
  ["1.2.840.10008.5.1.4.1.1.104.2", "Encapsulated CDA"],
  ["1.2.840.10008.5.1.4.1.1.66", "Raw Data"],
  ["1.2.840.10008.5.1.4.1.1.77.1.6", "VL Whole Slide Microscopy Image"],
]);

/** Dropped after Pixel Data: Digital Signatures Sequence (no longer valid) and Data Set Trailing Padding. */
const DROPPED_TRAILING = new Set([t(0xfffa, 0xfffa), t(0xfffc, 0xfffc)]);

/** Transfer syntaxes whose Pixel Data we can copy verbatim (PS3.5 §10 and Annex A). Native: defined length. */
const NATIVE_TRANSFER_SYNTAXES = new Set(["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"]);
/** RLE, JPEG (baseline, extended, lossless), JPEG-LS, JPEG 2000, MPEG-2, H.264 (+ fragmentable), HEVC, HTJ2K. */
const ENCAPSULATED_TRANSFER_SYNTAX = new RegExp(
  "^1\\.2\\.840\\.10008\\.1\\.2\\.(5|4\\.(50|51|57|70|80|81|90|91|92|93|10[0-8]|10[0-6]\\.1|20[1-3]))$",
);

/** Memoizing original → new Series Instance UID map for one capture; pass it as `seriesInstanceUidFor`. */
export const createSeriesUidMap = (orgRoot?: string): ((original: string) => string) => {
  const map = new Map<string, string>();
  return (original) => {
    let uid = map.get(original);
    if (uid === undefined) {
      uid = createUid(orgRoot);
      map.set(original, uid);
    }
    return uid;
  };
};

/** Refuses transfer syntaxes and SOP Classes we cannot forward; returns the SOP Class UID. */
const checkImportable = (file: TDicomFile, byTag: Map<number, TRawElement>): string => {
  const ts = file.transferSyntaxUid;
  const native = NATIVE_TRANSFER_SYNTAXES.has(ts);
  if (!native && !ENCAPSULATED_TRANSFER_SYNTAX.test(ts)) {
    throw new DicomImportError("unsupported-transfer-syntax", `Transfer Syntax ${ts} is unknown or private`);
  }
  const sopElement = byTag.get(TAG.SOPClassUID);
  const sopClassUid = sopElement ? textOf(sopElement) : "";
  if (!sopClassUid) {
    throw new DicomImportError("malformed", "Dataset has no SOP Class UID (0008,0016)");
  }
  if (!IMPORTABLE_IMAGE_SOP_CLASSES.has(sopClassUid)) {
    const name = REFUSED_SOP_CLASS_NAMES.get(sopClassUid) ?? "not an image SOP Class we forward";
    const accepted = [...new Set(IMPORTABLE_IMAGE_SOP_CLASSES.values())].join(", ");
    throw new DicomImportError(
      "unsupported-sop-class",
      `SOP Class ${sopClassUid} (${name}) is refused; accepted: ${accepted}`,
    );
  }
  if (!file.pixelData) {
    throw new DicomImportError("no-pixel-data", `Image (SOP Class ${sopClassUid}) has no Pixel Data (7FE0,0010)`);
  }
  if (native === file.pixelData.encapsulated) {
    throw new DicomImportError(
      "malformed",
      `Pixel Data is ${file.pixelData.encapsulated ? "encapsulated" : "native"}, Transfer Syntax ${ts} says otherwise`,
    );
  }
  return sopClassUid;
};

/** Native Pixel Data must hold every frame that Rows, Columns, Samples, Bits Allocated and Number of Frames declare. */
const checkNativeLength = (file: TDicomFile, byTag: Map<number, TRawElement>, geometry: TGeometry): void => {
  const px = file.pixelData;
  if (!px || px.encapsulated) {
    return;
  }
  const header = file.explicitVr ? 12 : 8;
  const have = px.end - px.offset - header;
  const bits = uint16Of(byTag.get(TAG.BitsAllocated)) ?? 8;
  const samples = uint16Of(byTag.get(TAG.SamplesPerPixel)) ?? 1;
  const photometric = textAt(byTag, TAG.PhotometricInterpretation);
  // YBR_FULL_422 native stores 2 samples per pixel on average (PS3.3 C.7.6.3.1.2).
  const perPixel = photometric === "YBR_FULL_422" ? 2 : samples;
  const need = Math.ceil((geometry.rows * geometry.columns * perPixel * bits * geometry.frames) / 8);
  if (have < need) {
    throw new DicomImportError(
      "truncated",
      `Pixel Data holds ${have} bytes; ${geometry.frames} frame(s) of ${geometry.rows}×${geometry.columns} ` +
        `need ${need}`,
    );
  }
};

type TGeometry = { rows: number; columns: number; frames: number };

/** A string element's text ("" when absent). */
export const textAt = (byTag: Map<number, TRawElement>, tag: number): string => {
  const e = byTag.get(tag);
  return e ? textOf(e) : "";
};

/** How new text is encoded, and the Specific Character Set to write (null: keep the source's). PS3.5 §6.1.2. */
export type TCharset = { encoding: BufferEncoding; value: string | null };

/**
 * ADT names may need any script. Default repertoire or UTF-8 sources become ISO_IR 192 (ASCII is a subset, so old
 * values stay valid); an ISO_IR 100 source keeps Latin-1 when the new values fit; any other character set is kept
 * when the new values are ASCII. Anything else would re-interpret the device's own text, so it is refused.
 */
export const chooseCharset = (source: string, newTexts: string[]): TCharset => {
  if (source === "" || source === "ISO_IR 6" || source === "ISO_IR 192") {
    return { encoding: "utf8", value: source === "ISO_IR 192" ? null : "ISO_IR 192" };
  }
  const all = newTexts.join("");
  if (source === "ISO_IR 100" && /^[\u0000-\u00ff]*$/.test(all)) {
    return { encoding: "latin1", value: null };
  }
  if (/^[\u0000-\u007f]*$/.test(all)) {
    return { encoding: "latin1", value: null };
  }
  throw new DicomImportError(
    "charset-conflict",
    `The ADT names need characters that Specific Character Set "${source}" cannot encode; ` +
      "export the file as UTF-8 (ISO_IR 192)",
  );
};

const decode = (e: TRawElement | undefined, charset: string): string =>
  e
    ? valueOf(e)
        .toString(charset === "ISO_IR 192" ? "utf8" : "latin1")
        .replace(/[\0 ]+$/, "")
    : "";

const fit = (name: string, value: string, max: number): string => {
  if (value.length > max) {
    throw new Error(`${name} is ${value.length} characters long; DICOM allows at most ${max}`);
  }
  return value;
};

/** Age string (AS, PS3.5 Table 6.2-1) at `studyDate` for `birthDate` (both YYYYMMDD), or null. */
const ageAt = (birthDate: string, studyDate: string): string | null => {
  const parse = (d: string): Date | null =>
    /^\d{8}$/.test(d) ? new Date(Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8))) : null;
  const [b, s] = [parse(birthDate), parse(studyDate)];
  if (!b || !s || s < b) {
    return null;
  }
  let months = (s.getUTCFullYear() - b.getUTCFullYear()) * 12 + s.getUTCMonth() - b.getUTCMonth();
  if (s.getUTCDate() < b.getUTCDate()) {
    months -= 1;
  }
  const pad = (n: number, unit: string): string => `${String(Math.min(n, 999)).padStart(3, "0")}${unit}`;
  if (months >= 24) {
    return pad(Math.floor(months / 12), "Y");
  }
  return months >= 1 ? pad(months, "M") : pad(Math.round((s.getTime() - b.getTime()) / 86_400_000), "D");
};

/** The new values, encoded in the source's VR encoding: tag → element bytes. */
const buildReplacements = (
  ctx: TReidentifyContext,
  byTag: Map<number, TRawElement>,
  uids: { study: string; series: string; sop: string },
  explicit: boolean,
  charset: TCharset,
): Map<number, Buffer> => {
  const { patient, encounter } = ctx;
  const text = (tag: number, vr: string, value: string): Buffer =>
    encodeElement(tag, vr, Buffer.from(value, vr === "UI" ? "latin1" : charset.encoding), explicit);
  const out = new Map<number, Buffer>();
  const set = (tag: number, vr: string, value: string): void => void out.set(tag, text(tag, vr, value));
  if (charset.value !== null) {
    set(TAG.SpecificCharacterSet, "CS", charset.value);
  }
  set(TAG.SOPInstanceUID, "UI", uids.sop);
  set(TAG.AccessionNumber, "SH", "");
  if (encounter.institutionName) {
    set(TAG.InstitutionName, "LO", encounter.institutionName);
  }
  set(TAG.ReferringPhysicianName, "PN", encounter.referringPhysician ?? "");
  set(TAG.PatientName, "PN", toPersonName(patient));
  set(TAG.PatientID, "LO", fit("Patient ID (MRN)", patient.mrn, 64));
  set(TAG.IssuerOfPatientID, "LO", fit("Issuer of Patient ID", patient.issuer, 64));
  if (patient.issuerOid) {
    const item = [text(TAG.UniversalEntityID, "UT", patient.issuerOid), text(TAG.UniversalEntityIDType, "CS", "ISO")];
    const tag = TAG.IssuerOfPatientIDQualifiersSequence;
    out.set(tag, encodeSequence(tag, [item], explicit));
  }
  const birthDate = /^\d{8}$/.test(patient.birthDate) ? patient.birthDate : "";
  set(TAG.PatientBirthDate, "DA", birthDate);
  set(TAG.PatientSex, "CS", ["M", "F", "O"].includes(patient.sex) ? patient.sex : "");
  const age = ageAt(birthDate, textAt(byTag, TAG.StudyDate));
  if (age && byTag.has(TAG.PatientAge)) {
    set(TAG.PatientAge, "AS", age);
  }
  set(TAG.StudyInstanceUID, "UI", uids.study);
  set(TAG.SeriesInstanceUID, "UI", uids.series);
  if (encounter.visitNumber) {
    set(TAG.AdmissionID, "LO", fit("Admission ID (visit number)", encounter.visitNumber, 64));
    if (encounter.visitIssuer) {
      const item = [text(TAG.LocalNamespaceEntityID, "UT", encounter.visitIssuer)];
      out.set(TAG.IssuerOfAdmissionIDSequence, encodeSequence(TAG.IssuerOfAdmissionIDSequence, [item], explicit));
    }
  }
  return out;
};

/** Tags to remove: the fixed list, plus our own attributes when the ADT has no value for them. */
const removals = (byTag: Map<number, TRawElement>, writes: Map<number, Buffer>): Set<number> => {
  const out = new Set([...REMOVED_TAGS.keys()].filter((tag) => byTag.has(tag)));
  const ours = [
    TAG.IssuerOfPatientIDQualifiersSequence,
    TAG.AdmissionID,
    TAG.IssuerOfAdmissionIDSequence,
    TAG.PatientAge,
  ];
  for (const tag of ours) {
    if (byTag.has(tag) && !writes.has(tag)) {
      out.add(tag);
    }
  }
  return out;
};

/**
 * The Original Attributes Sequence with one more item (PS3.3 Table C.12-1): previous values of every attribute we
 * replaced or removed, as they were encoded; attributes we inserted appear with zero length (they had no value).
 * Items already present (earlier modifications) are kept in front of ours.
 */
export const originalAttributes = (args: {
  byTag: Map<number, TRawElement>;
  changed: number[];
  inserted: Map<number, string>;
  explicit: boolean;
  charset: TCharset;
  now: Date;
  modifyingSystem: string;
  sourceOfPreviousValues: string;
  reason: "COERCE" | "CORRECT";
}): Buffer => {
  const { explicit } = args;
  const text = (tag: number, vr: string, value: string): Buffer =>
    encodeElement(tag, vr, Buffer.from(value, args.charset.encoding), explicit);
  const previous = args.changed.map((tag) => {
    const e = args.byTag.get(tag);
    return e ? e.bytes : encodeElement(tag, args.inserted.get(tag) ?? "UN", Buffer.alloc(0), explicit);
  });
  const utc = new Date(args.now.getTime() + args.now.getTimezoneOffset() * 60_000);
  const ours = encodeItem([
    encodeSequence(TAG.ModifiedAttributesSequence, [previous], explicit),
    // DT with an explicit UTC offset, so it does not depend on Timezone Offset From UTC of the source.
    text(TAG.AttributeModificationDateTime, "DT", `${toDicomDateTime(utc)}+0000`),
    text(TAG.ModifyingSystem, "LO", args.modifyingSystem),
    text(TAG.SourceOfPreviousValues, "LO", args.sourceOfPreviousValues),
    text(TAG.ReasonForTheAttributeModification, "CS", args.reason),
  ]);
  const existing = args.byTag.get(TAG.OriginalAttributesSequence);
  // An undefined-length sequence ends with an 8-byte Sequence Delimitation Item; its items are kept as they are.
  const earlier = existing
    ? valueOf(existing).subarray(0, existing.valueLength === null ? -8 : undefined)
    : Buffer.alloc(0);
  return encodeElement(TAG.OriginalAttributesSequence, "SQ", Buffer.concat([earlier, ours]), explicit);
};

/** File Meta Information (PS3.10 §7.1) for the new instance, with its group length. */
const fileMeta = (sopClassUid: string, sopInstanceUid: string, transferSyntaxUid: string): Buffer => {
  const ui = (element: number, value: string): Buffer =>
    encodeElement(t(0x0002, element), "UI", Buffer.from(value, "latin1"), true);
  const body = Buffer.concat([
    encodeElement(t(0x0002, 0x0001), "OB", Buffer.from([0x00, 0x01]), true),
    ui(0x0002, sopClassUid),
    ui(0x0003, sopInstanceUid),
    ui(0x0010, transferSyntaxUid),
    ui(0x0012, IMPLEMENTATION_CLASS_UID),
    encodeElement(t(0x0002, 0x0013), "SH", Buffer.from(IMPLEMENTATION_VERSION_NAME, "latin1"), true),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  const preamble = Buffer.alloc(132);
  preamble.write("DICM", 128, "latin1");
  return Buffer.concat([preamble, encodeElement(t(0x0002, 0x0000), "UL", length, true), body]);
};

/** VRs of the attributes we may insert, for their zero-length record in Modified Attributes Sequence. */
const INSERTED_VRS = new Map<number, string>([
  [TAG.SpecificCharacterSet, "CS"],
  [TAG.SOPInstanceUID, "UI"],
  [TAG.AccessionNumber, "SH"],
  [TAG.InstitutionName, "LO"],
  [TAG.ReferringPhysicianName, "PN"],
  [TAG.PatientName, "PN"],
  [TAG.PatientID, "LO"],
  [TAG.IssuerOfPatientID, "LO"],
  [TAG.IssuerOfPatientIDQualifiersSequence, "SQ"],
  [TAG.PatientBirthDate, "DA"],
  [TAG.PatientSex, "CS"],
  [TAG.StudyInstanceUID, "UI"],
  [TAG.SeriesInstanceUID, "UI"],
  [TAG.AdmissionID, "LO"],
  [TAG.IssuerOfAdmissionIDSequence, "SQ"],
]);

/**
 * Re-identifies one DICOM file exported by a device and writes it to `outPath` (`.tmp`, fdatasync, rename).
 * @param args.inputPath - the device's Part 10 file
 * @param args.outPath - where the new file goes; its directory must exist
 * @param args.context - patient and encounter from ADT (as for photos)
 * @param args.uids - the capture's Study Instance UID and the original → new Series Instance UID function
 * @param args.reason - Reason for the Attribute Modification: `COERCE` (default: import and reconciliation with ADT)
 *   or `CORRECT` (the device had the wrong patient)
 * @param args.modifyingSystem - Modifying System (0400,0563), default "Encounter Capture"
 * @param args.sourceOfPreviousValues - Source of Previous Values (0400,0564), e.g. the device; default: the source's
 *   Source Application Entity Title (0002,0016), else empty (Type 2)
 * @param args.orgRoot - UID root for a minted SOP Instance UID
 * @param args.now - modification time, default now
 * @returns SOP Class, transfer syntax, size and SHA-256 of the new file, geometry, new UIDs, original identity
 * @throws DicomImportError for a file we do not accept; Error for an invalid UID or an over-long identifier
 */
export const reidentifyDicom = async (args: {
  inputPath: string;
  outPath: string;
  context: TReidentifyContext;
  uids: TReidentifyUids;
  reason?: "COERCE" | "CORRECT";
  modifyingSystem?: string;
  sourceOfPreviousValues?: string;
  orgRoot?: string;
  now?: Date;
}): Promise<TReidentifyResult> => {
  const file = await readDicomFile(args.inputPath);
  const byTag = new Map(file.elements.map((e) => [e.tag, e]));
  const sopClassUid = checkImportable(file, byTag);
  const geometry = {
    rows: uint16Of(byTag.get(TAG.Rows)) ?? 0,
    columns: uint16Of(byTag.get(TAG.Columns)) ?? 0,
    frames: Number.parseInt(textAt(byTag, TAG.NumberOfFrames) || "1", 10) || 1,
  };
  checkNativeLength(file, byTag, geometry);
  const sourceCharset = textAt(byTag, TAG.SpecificCharacterSet);
  const { patient, encounter } = args.context;
  const charset = chooseCharset(sourceCharset, [
    toPersonName(patient), patient.mrn, patient.issuer, encounter.institutionName, encounter.referringPhysician ?? "",
    encounter.visitNumber, encounter.visitIssuer,
  ]);
  const original = (tag: number): string => decode(byTag.get(tag), sourceCharset);
  const originalSeries = original(TAG.SeriesInstanceUID);
  const uids = {
    study: args.uids.studyInstanceUid,
    series: args.uids.seriesInstanceUidFor(originalSeries),
    sop: args.uids.sopInstanceUid ?? createUid(args.orgRoot),
  };
  requireUid("Study Instance UID", uids.study);
  requireUid("Series Instance UID", uids.series);
  requireUid("SOP Instance UID", uids.sop);

  const writes = buildReplacements(args.context, byTag, uids, file.explicitVr, charset);
  const removed = removals(byTag, writes);
  const changed = [...new Set([...writes.keys(), ...removed])].sort((a, b) => a - b);
  const sourceAe = file.meta.find((e) => e.tag === t(0x0002, 0x0016));
  const oas = originalAttributes({
    byTag,
    changed,
    inserted: INSERTED_VRS,
    explicit: file.explicitVr,
    charset,
    now: args.now ?? new Date(),
    modifyingSystem: args.modifyingSystem ?? "Encounter Capture",
    sourceOfPreviousValues: args.sourceOfPreviousValues ?? (sourceAe ? textOf(sourceAe) : ""),
    reason: args.reason ?? "COERCE",
  });
  // Group Length elements (gggg,0000) are retired in datasets (PS3.5 §7.2) and would no longer match: dropped.
  const kept = file.elements.filter(
    (e) =>
      !writes.has(e.tag) && !removed.has(e.tag) && e.tag !== TAG.OriginalAttributesSequence && (e.tag & 0xffff) !== 0,
  );
  const dataset = [
    ...kept.map((e) => ({ tag: e.tag, bytes: e.bytes })),
    ...[...writes].map(([tag, bytes]) => ({ tag, bytes })),
    { tag: TAG.OriginalAttributesSequence, bytes: oas },
  ].sort((a, b) => a.tag - b.tag);
  const px = file.pixelData as NonNullable<TDicomFile["pixelData"]>;
  const { size, sha256 } = await writeReidentifiedFile({
    outPath: args.outPath,
    head: [fileMeta(sopClassUid, uids.sop, file.transferSyntaxUid), ...dataset.map((e) => e.bytes)],
    sourcePath: args.inputPath,
    copyFrom: px.offset,
    copyTo: px.end,
    tail: file.trailing.filter((e) => !DROPPED_TRAILING.has(e.tag) && (e.tag & 0xffff) !== 0).map((e) => e.bytes),
  });
  return {
    sopClassUid,
    transferSyntaxUid: file.transferSyntaxUid,
    size,
    sha256,
    ...geometry,
    studyInstanceUid: uids.study,
    seriesInstanceUid: uids.series,
    sopInstanceUid: uids.sop,
    original: {
      patientName: original(TAG.PatientName),
      patientId: original(TAG.PatientID),
      issuerOfPatientId: original(TAG.IssuerOfPatientID),
      patientBirthDate: original(TAG.PatientBirthDate),
      patientSex: original(TAG.PatientSex),
      accessionNumber: original(TAG.AccessionNumber),
      admissionId: original(TAG.AdmissionID),
      institutionName: original(TAG.InstitutionName),
      referringPhysicianName: original(TAG.ReferringPhysicianName),
      studyInstanceUid: original(TAG.StudyInstanceUID),
      seriesInstanceUid: originalSeries,
      sopInstanceUid: original(TAG.SOPInstanceUID),
      changedTags: changed.map(hex),
    },
  };
};
