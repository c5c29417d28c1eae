import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSeriesUidMap, reidentifyDicom, type TReidentifyResult } from "@/lib/dicom/reidentify-dicom";
import { createUid, IMPLEMENTATION_CLASS_UID, isValidUid } from "@/lib/dicom/uids";
import { readWithPydicom, runDciodvfy, runDcmdump, type TPydicomRead } from "@/tests/support/dicom-tools";
import { ADT_CONTEXT, FOREIGN, makeUsCorpus, type TUsCorpus } from "@/tests/support/us-corpus";
import { parseDcmdump } from "./dicom-expectations";

const dir = mkdtempSync(path.join(tmpdir(), "reidentify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** SHA-256 and length of the Pixel Data value as pydicom reads it (native bytes, or all encapsulated items). */
const pixelDataDigest = (file: string): { length: number; sha256: string } => {
  const script =
    "import hashlib,json,sys,pydicom\n" +
    "v=pydicom.dcmread(sys.argv[1]).PixelData\n" +
    "print(json.dumps({'length':len(v),'sha256':hashlib.sha256(v).hexdigest()}))";
  const r = spawnSync("/usr/bin/python3", ["-c", script, file], { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`pydicom could not read Pixel Data of ${file}: ${r.stderr || String(r.error)}`);
  }
  return JSON.parse(r.stdout) as { length: number; sha256: string };
};

type TCase = { name: keyof TUsCorpus; charset: string; privateKept: boolean; earlierItems: number; sourceAe: string };
const CASES: TCase[] = [
  { name: "usMultiframeJpeg", charset: "ISO_IR 100", privateKept: true, earlierItems: 0, sourceAe: "POCUS1" },
  { name: "usImageRle", charset: "ISO_IR 100", privateKept: false, earlierItems: 0, sourceAe: "POCUS1" },
  { name: "usMultiframeImplicit", charset: "ISO_IR 192", privateKept: true, earlierItems: 0, sourceAe: "POCUS1" },
  { name: "secondaryCapture", charset: "ISO_IR 100", privateKept: false, earlierItems: 1, sourceAe: "POCUS1" },
  // dcmconv writes its own File Meta (no Source AE Title), undefined-length sequences/items and group lengths.
  ...(["secondaryCaptureUndefinedLengths", "secondaryCaptureImplicitUndefined"] as const).map((name) => ({
    name,
    charset: "ISO_IR 100",
    privateKept: false,
    earlierItems: 1,
    sourceAe: "",
  })),
];

const studyInstanceUid = createUid();
const uids = { studyInstanceUid, seriesInstanceUidFor: createSeriesUidMap() };
let corpus: TUsCorpus;
const results = new Map<string, TReidentifyResult>();
const outPath = (name: string): string => path.join(dir, `out-${name}.dcm`);

beforeAll(async () => {
  corpus = await makeUsCorpus(dir);
  for (const c of CASES) {
    results.set(
      c.name,
      await reidentifyDicom({ inputPath: corpus[c.name], outPath: outPath(c.name), context: ADT_CONTEXT, uids }),
    );
  }
});

describe.each(CASES)("reidentifyDicom: $name", (c) => {
  const result = (): TReidentifyResult => results.get(c.name) as TReidentifyResult;
  let py: TPydicomRead;
  beforeAll(() => {
    py = readWithPydicom(outPath(c.name));
  });

  test("writes the file atomically and reports its size and hash", () => {
    const bytes = readFileSync(outPath(c.name));
    expect(existsSync(`${outPath(c.name)}.tmp`)).toBe(false);
    expect(result().size).toBe(bytes.length);
    expect(result().sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
  });

  test("dciodvfy reports no errors", () => {
    const report = runDciodvfy(outPath(c.name));
    expect(report.split("\n").filter((l) => l.startsWith("Error"))).toEqual([]);
  });

  test("the Pixel Data value is byte-identical to the source's", () => {
    const before = pixelDataDigest(corpus[c.name]);
    expect(before.length).toBeGreaterThan(0);
    expect(pixelDataDigest(outPath(c.name))).toEqual(before);
  });

  test("identity attributes are the ADT ones; Accession Number present and empty (dcmdump)", () => {
    const dump = parseDcmdump(runDcmdump(outPath(c.name)));
    const value = (tag: string): string | undefined => dump.get(tag)?.value;
    expect(value("0010,0010")).toBe("Müller^Jörg^^Dr");
    expect(value("0010,0020")).toBe("MRN-000123");
    expect(value("0010,0021")).toBe("GENHOSP");
    expect(value("0010,0030")).toBe("19700102");
    expect(value("0010,0040")).toBe("M");
    expect(value("0010,1010")).toBe("055Y");
    expect(dump.has("0008,0050")).toBe(true);
    expect(value("0008,0050")).toBe("");
    expect(value("0008,0080")).toBe("General Hospital");
    expect(value("0008,0090")).toBe("Attending^Anna");
    expect(value("0038,0010")).toBe("V-2025-0042");
    for (const removed of ["0010,1000", "0010,1002", "0010,1040", "0008,0051"]) {
      expect(dump.has(removed), removed).toBe(false);
    }
  });

  test("identity sequences hold the issuers; the character set fits the names (pydicom)", () => {
    // dcmdump +U8 reports its own UTF-8 conversion, so the character set is read with pydicom.
    expect(py.dataset.SpecificCharacterSet).toBe(c.charset);
    expect(py.dataset.PatientName).toBe("Müller^Jörg^^Dr");
    expect(py.dataset.IssuerOfPatientIDQualifiersSequence).toEqual([
      { UniversalEntityID: "1.2.826.0.1.3680043.10.999.1", UniversalEntityIDType: "ISO" },
    ]);
    expect(py.dataset.IssuerOfAdmissionIDSequence).toEqual([{ LocalNamespaceEntityID: "GENHOSP" }]);
  });

  test("acquisition attributes are kept", () => {
    const ds = py.dataset;
    expect(ds.StudyDate).toBe("20250314");
    expect(ds.Manufacturer).toBe("ACME Ultrasound");
    expect(ds.PatientWeight).toBe("71.5");
    expect(ds.StationName).toBe("POCUS-1");
    if (c.name.startsWith("usMultiframe")) {
      expect(ds.FrameTime).toBeDefined();
      expect(ds.FrameIncrementPointer).toBeDefined();
    }
    if (c.name === "usMultiframeJpeg") {
      expect(ds.SequenceOfUltrasoundRegions).toHaveLength(1);
    }
    if (c.privateKept) {
      // Implicit VR private elements are dumped as bytes of unknown VR; "probe C5-2" in hex is 70 72 6f 62 65.
      expect(runDcmdump(outPath(c.name))).toMatch(/\(0009,1010\) (LO \[probe C5-2\]|\?\? 70\\72\\6f\\62\\65)/);
    }
  });

  test("no foreign identity value remains outside Original Attributes Sequence", () => {
    const { OriginalAttributesSequence: _history, ...rest } = py.dataset;
    const text = JSON.stringify({ rest, meta: py.meta });
    const { patientId, accession, address, otherPatientId, institution } = FOREIGN;
    const foreign = [patientId, accession, address, otherPatientId, institution];
    for (const v of foreign) {
      expect(text, v).not.toContain(v);
    }
    expect(text).not.toContain("Device");
  });

  test("Original Attributes Sequence records the old values (PS3.3 C.12.1.1.9)", () => {
    const items = py.dataset.OriginalAttributesSequence as Array<Record<string, unknown>>;
    expect(items).toHaveLength(c.earlierItems + 1);
    const ours = items[items.length - 1] as Record<string, unknown>;
    expect(ours.ReasonForTheAttributeModification).toBe("COERCE");
    expect(ours.ModifyingSystem).toBe("Encounter Capture");
    expect(ours.SourceOfPreviousValues).toBe(c.sourceAe);
    expect(ours.AttributeModificationDateTime).toMatch(/^\d{14}\.\d{3}\+0000$/);
    const previous = (ours.ModifiedAttributesSequence as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    expect(previous.PatientID).toBe(FOREIGN.patientId);
    expect(previous.AccessionNumber).toBe(FOREIGN.accession);
    expect(previous.PatientAddress).toBe(FOREIGN.address);
    expect(previous.OtherPatientIDsSequence).toEqual([{ PatientID: FOREIGN.otherPatientId, TypeOfPatientID: "TEXT" }]);
    expect(previous.StudyInstanceUID).toBe(FOREIGN.studyUid);
    expect(previous.SOPInstanceUID).toBe(result().original.sopInstanceUid);
    // Inserted attributes (absent in the source) are recorded with zero length.
    expect(previous.AdmissionID).toBe("");
    if (c.earlierItems > 0) {
      expect((items[0] as Record<string, unknown>).ReasonForTheAttributeModification).toBe("CORRECT");
    }
  });

  test("returns the original identity for the database", () => {
    const o = result().original;
    expect(o.patientId).toBe(FOREIGN.patientId);
    expect(o.issuerOfPatientId).toBe(FOREIGN.issuer);
    expect(o.patientBirthDate).toBe(FOREIGN.birthDate);
    expect(o.accessionNumber).toBe(FOREIGN.accession);
    expect(o.institutionName).toBe(FOREIGN.institution);
    expect(o.studyInstanceUid).toBe(FOREIGN.studyUid);
    expect(o.patientName).toBe(c.name === "usMultiframeImplicit" ? "Device^Temp" : FOREIGN.patientName);
    expect(o.changedTags).toEqual(expect.arrayContaining(["(0010,0010)", "(0010,1040)", "(0020,000D)"]));
  });

  test("File Meta is consistent with the new instance", () => {
    expect(py.meta.MediaStorageSOPInstanceUID).toBe(result().sopInstanceUid);
    expect(py.dataset.SOPInstanceUID).toBe(result().sopInstanceUid);
    expect(py.meta.MediaStorageSOPClassUID).toBe(py.dataset.SOPClassUID);
    expect(py.meta.TransferSyntaxUID).toBe(result().transferSyntaxUid);
    expect(py.meta.ImplementationClassUID).toBe(IMPLEMENTATION_CLASS_UID);
    expect(py.meta.SourceApplicationEntityTitle).toBeUndefined();
  });
});

describe("reidentifyDicom: UIDs of a multi-file capture", () => {
  test("every file lands in the capture's study; series follow the original series; instances are new", () => {
    const all = CASES.map((c) => results.get(c.name) as TReidentifyResult);
    expect(new Set(all.map((r) => r.studyInstanceUid))).toEqual(new Set([studyInstanceUid]));
    const series = (name: string): string => (results.get(name) as TReidentifyResult).seriesInstanceUid;
    // Same original series → same new series; another original series → another new series.
    expect(series("usMultiframeImplicit")).toBe(series("usMultiframeJpeg"));
    expect(series("secondaryCapture")).toBe(series("usMultiframeJpeg"));
    expect(series("secondaryCaptureImplicitUndefined")).toBe(series("usMultiframeJpeg"));
    expect(series("usImageRle")).not.toBe(series("usMultiframeJpeg"));
    const sops = all.map((r) => r.sopInstanceUid);
    expect(new Set(sops).size).toBe(all.length);
    for (const r of all) {
      expect(isValidUid(r.sopInstanceUid) && isValidUid(r.seriesInstanceUid)).toBe(true);
      expect(r.sopInstanceUid).not.toBe(r.original.sopInstanceUid);
      expect(r.seriesInstanceUid).not.toBe(r.original.seriesInstanceUid);
    }
  });

  test("Data Set Trailing Padding after Pixel Data is dropped, Pixel Data is then the last element", () => {
    expect(runDcmdump(corpus.secondaryCapture)).toMatch(/\(fffc,fffc\)/);
    expect(runDcmdump(outPath("secondaryCapture"))).not.toMatch(/\(fffc,fffc\)/);
    const source = readFileSync(corpus.secondaryCapture);
    const out = readFileSync(outPath("secondaryCapture"));
    // Explicit VR OB/OW Pixel Data: 12-byte header + 32×32×3 bytes ends the output; in the source 16 + 12 bytes follow.
    const element = 12 + 32 * 32 * 3;
    const sourceElement = source.subarray(source.length - 28 - element, source.length - 28);
    expect(out.subarray(out.length - element).equals(sourceElement)).toBe(true);
  });

  test("group lengths of the source are not carried over (they would no longer match)", () => {
    expect(runDcmdump(corpus.secondaryCaptureUndefinedLengths)).toMatch(/^\(0010,0000\) UL/m);
    expect(runDcmdump(outPath("secondaryCaptureUndefinedLengths"))).not.toMatch(/^\((?!0002)[0-9a-f]{4},0000\)/m);
  });

  test("geometry is reported from the source", () => {
    expect(results.get("usMultiframeJpeg")).toMatchObject({ rows: 48, columns: 64, frames: 4 });
    expect(results.get("usMultiframeImplicit")).toMatchObject({
      rows: 48,
      columns: 64,
      frames: 3,
      transferSyntaxUid: "1.2.840.10008.1.2",
    });
    expect(results.get("usImageRle")).toMatchObject({ frames: 1, transferSyntaxUid: "1.2.840.10008.1.2.5" });
  });
});
