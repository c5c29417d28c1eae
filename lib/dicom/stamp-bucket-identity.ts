/**
 * Writes a copy of a DICOM file carrying a routing bucket's identity (lib/forwarding/resolve-routes.ts), for one
 * delivery: the file on disk is never changed, and the copy depends only on the source file and the rule version, so
 * every retry of a job sends the same bytes under the same SOP Instance UID.
 *
 * What is stamped (each only when the bucket sets it; see lib/dicom/README.md, "Bucket identity"):
 * - Issuer of Patient ID (0010,0021). Issuer of Patient ID Qualifiers Sequence (0010,0024) is removed with it: its
 *   OID qualifies the original issuer, not the bucket's.
 * - Institution Name (0008,0080) and Institutional Department Name (0008,1040) (General Equipment, Type 3).
 * - The source-system code: Source Application Entity Title (0002,0016) of the File Meta Information (it travels in
 *   STOW-RS, whose parts are Part 10 files), and, because C-STORE sends no File Meta, Station Name (0008,1010) of a
 *   new Contributing Equipment Sequence (0018,A001) item (SOP Common, PS3.3 C.12.1) whose Purpose of Reference is
 *   (109103, DCM, "Modifying Equipment"), with Manufacturer, the bucket's institution and Contribution DateTime.
 * - Replaced and removed attributes keep their previous values in a new Original Attributes Sequence (0400,0561)
 *   item (reason COERCE), as reidentify-dicom.ts does. Both timestamps are the rule version's creation time, so the
 *   output is deterministic.
 *
 * Reading and writing reuse reidentify-dicom.ts's approach: only header elements are encoded (read-dicom-file.ts,
 * write-reidentified.ts); Pixel Data and anything after it are copied byte for byte.
 */
import { toDicomDateTime } from "@/lib/dicom/format-dicom-values";
import { readDicomFile, textOf, valueOf, type TRawElement } from "@/lib/dicom/read-dicom-file";
import { chooseCharset, originalAttributes, t, TAG, textAt } from "@/lib/dicom/reidentify-dicom";
import { encodeElement, encodeItem, encodeSequence, writeReidentifiedFile } from "@/lib/dicom/write-reidentified";

export type TStampIdentity = {
  issuerOfPatientId: string;
  institutionName: string;
  institutionDepartmentName: string;
  sourceSystemCode: string;
};

const META_GROUP_LENGTH = t(0x0002, 0x0000);
const SOURCE_AE_TITLE = t(0x0002, 0x0016);
const INSTITUTIONAL_DEPARTMENT_NAME = t(0x0008, 0x1040);
const CONTRIBUTING_EQUIPMENT_SEQUENCE = t(0x0018, 0xa001);
const MANUFACTURER = t(0x0008, 0x0070);
const STATION_NAME = t(0x0008, 0x1010);
const CONTRIBUTION_DATETIME = t(0x0018, 0xa002);
const CONTRIBUTION_DESCRIPTION = t(0x0018, 0xa003);
const PURPOSE_OF_REFERENCE_CODE_SEQUENCE = t(0x0040, 0xa170);
const CODE_VALUE = t(0x0008, 0x0100);
const CODING_SCHEME_DESIGNATOR = t(0x0008, 0x0102);
const CODE_MEANING = t(0x0008, 0x0104);

/** VRs of attributes we may insert, for their zero-length record in Modified Attributes Sequence. */
const INSERTED_VRS = new Map<number, string>([
  [TAG.SpecificCharacterSet, "CS"],
  [TAG.InstitutionName, "LO"],
  [INSTITUTIONAL_DEPARTMENT_NAME, "LO"],
  [TAG.IssuerOfPatientID, "LO"],
  [TAG.IssuerOfPatientIDQualifiersSequence, "SQ"],
]);

/**
 * True when the identity changes nothing (all fields empty): the file is then sent as it is.
 * @param identity - a bucket's identity
 */
export const isEmptyIdentity = (identity: TStampIdentity): boolean =>
  !identity.issuerOfPatientId && !identity.institutionName && !identity.institutionDepartmentName && !identity.sourceSystemCode;

/** File Meta Information with (0002,0016) set, other elements kept as they are, group length recomputed. */
const stampMeta = (meta: TRawElement[], sourceSystemCode: string): Buffer => {
  const kept = meta.filter((e) => e.tag !== META_GROUP_LENGTH && (e.tag !== SOURCE_AE_TITLE || !sourceSystemCode));
  const elements = [
    ...kept.map((e) => ({ tag: e.tag, bytes: e.bytes })),
    ...(sourceSystemCode
      ? [{ tag: SOURCE_AE_TITLE, bytes: encodeElement(SOURCE_AE_TITLE, "AE", Buffer.from(sourceSystemCode, "latin1"), true) }]
      : []),
  ].sort((a, b) => a.tag - b.tag);
  const body = Buffer.concat(elements.map((e) => e.bytes));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  const preamble = Buffer.alloc(132);
  preamble.write("DICM", 128, "latin1");

  return Buffer.concat([preamble, encodeElement(META_GROUP_LENGTH, "UL", length, true), body]);
};

/** Items already in a sequence element (defined or undefined length), to append ours after them. */
const existingItems = (e: TRawElement | undefined): Buffer =>
  e ? valueOf(e).subarray(0, e.valueLength === null ? -8 : undefined) : Buffer.alloc(0);

/**
 * @param args.inputPath - the instance's file (not changed)
 * @param args.outPath - where the stamped copy goes (`.tmp`, fdatasync, rename); its directory must exist
 * @param args.identity - the bucket's identity; empty fields leave the attribute as captured
 * @param args.at - the rule version's creation time (Contribution DateTime, Attribute Modification DateTime)
 * @param args.description - Contribution Description (ST), e.g. "routing rule GENHOSP-PACS version 3"
 * @returns size and SHA-256 of the copy
 * @throws DicomImportError for an unreadable file or a charset the identity cannot be written in
 */
export const stampBucketIdentityFile = async (args: {
  inputPath: string;
  outPath: string;
  identity: TStampIdentity;
  at: Date;
  description: string;
}): Promise<{ size: number; sha256: string }> => {
  const { identity } = args;
  const file = await readDicomFile(args.inputPath);
  const explicit = file.explicitVr;
  const byTag = new Map(file.elements.map((e) => [e.tag, e]));
  const charset = chooseCharset(textAt(byTag, TAG.SpecificCharacterSet), [
    identity.issuerOfPatientId, identity.institutionName, identity.institutionDepartmentName, args.description,
  ]);
  const text = (tag: number, vr: string, value: string): Buffer => encodeElement(tag, vr, Buffer.from(value, charset.encoding), explicit);
  const writes = new Map<number, Buffer>();
  const removed = new Set<number>();
  if (charset.value !== null) {
    writes.set(TAG.SpecificCharacterSet, text(TAG.SpecificCharacterSet, "CS", charset.value));
  }
  if (identity.issuerOfPatientId) {
    writes.set(TAG.IssuerOfPatientID, text(TAG.IssuerOfPatientID, "LO", identity.issuerOfPatientId));
    if (byTag.has(TAG.IssuerOfPatientIDQualifiersSequence)) {
      removed.add(TAG.IssuerOfPatientIDQualifiersSequence);
    }
  }
  if (identity.institutionName) {
    writes.set(TAG.InstitutionName, text(TAG.InstitutionName, "LO", identity.institutionName));
  }
  if (identity.institutionDepartmentName) {
    writes.set(INSTITUTIONAL_DEPARTMENT_NAME, text(INSTITUTIONAL_DEPARTMENT_NAME, "LO", identity.institutionDepartmentName));
  }
  // Only attributes whose value really changes are recorded as modified.
  for (const [tag, bytes] of writes) {
    if (byTag.get(tag)?.bytes.equals(bytes)) {
      writes.delete(tag);
    }
  }
  const changed = [...new Set([...writes.keys(), ...removed])].sort((a, b) => a - b);
  const utc = new Date(args.at.getTime() + args.at.getTimezoneOffset() * 60_000);
  const extra: { tag: number; bytes: Buffer }[] = [];
  if (changed.length > 0) {
    const sourceAe = file.meta.find((e) => e.tag === SOURCE_AE_TITLE);
    extra.push({
      tag: TAG.OriginalAttributesSequence,
      bytes: originalAttributes({
        byTag, changed, inserted: INSERTED_VRS, explicit, charset, now: args.at,
        modifyingSystem: "Encounter Capture", sourceOfPreviousValues: sourceAe ? textOf(sourceAe) : "", reason: "COERCE",
      }),
    });
  }
  if (identity.sourceSystemCode) {
    const purpose = [text(CODE_VALUE, "SH", "109103"), text(CODING_SCHEME_DESIGNATOR, "SH", "DCM"), text(CODE_MEANING, "LO", "Modifying Equipment")];
    const item = encodeItem([
      text(MANUFACTURER, "LO", "Encounter Capture"),
      ...(identity.institutionName ? [text(TAG.InstitutionName, "LO", identity.institutionName)] : []),
      text(STATION_NAME, "SH", identity.sourceSystemCode),
      ...(identity.institutionDepartmentName ? [text(INSTITUTIONAL_DEPARTMENT_NAME, "LO", identity.institutionDepartmentName)] : []),
      text(CONTRIBUTION_DATETIME, "DT", `${toDicomDateTime(utc)}+0000`),
      text(CONTRIBUTION_DESCRIPTION, "ST", args.description.slice(0, 1024)),
      encodeSequence(PURPOSE_OF_REFERENCE_CODE_SEQUENCE, [purpose], explicit),
    ]);
    const body = Buffer.concat([existingItems(byTag.get(CONTRIBUTING_EQUIPMENT_SEQUENCE)), item]);
    extra.push({ tag: CONTRIBUTING_EQUIPMENT_SEQUENCE, bytes: encodeElement(CONTRIBUTING_EQUIPMENT_SEQUENCE, "SQ", body, explicit) });
  }
  const replacedByExtra = new Set(extra.map((e) => e.tag));
  // Group Length elements (gggg,0000) are retired in datasets (PS3.5 §7.2) and would no longer match: dropped.
  const kept = file.elements.filter((e) => !writes.has(e.tag) && !removed.has(e.tag) && !replacedByExtra.has(e.tag) && (e.tag & 0xffff) !== 0);
  const dataset = [
    ...kept.map((e) => ({ tag: e.tag, bytes: e.bytes })),
    ...[...writes].map(([tag, bytes]) => ({ tag, bytes })),
    ...extra,
  ].sort((a, b) => a.tag - b.tag);
  const px = file.pixelData;

  return writeReidentifiedFile({
    outPath: args.outPath,
    head: [stampMeta(file.meta, identity.sourceSystemCode), ...dataset.map((e) => e.bytes)],
    sourcePath: args.inputPath,
    copyFrom: px ? px.offset : 0,
    copyTo: px ? px.end : 0,
    tail: px ? file.trailing.map((e) => e.bytes) : [],
  });
};
