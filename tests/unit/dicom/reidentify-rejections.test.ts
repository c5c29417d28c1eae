import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DicomImportError, type TDicomImportErrorCode } from "@/lib/dicom/dicom-import-errors";
import { createSeriesUidMap, reidentifyDicom } from "@/lib/dicom/reidentify-dicom";
import { createUid } from "@/lib/dicom/uids";
import { ADT_CONTEXT, FOREIGN, makeUsCorpus, type TUsCorpus } from "@/tests/support/us-corpus";

const dir = mkdtempSync(path.join(tmpdir(), "reidentify-reject-"));
const outDir = mkdtempSync(path.join(tmpdir(), "reidentify-reject-out-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
});

let corpus: TUsCorpus;
beforeAll(async () => {
  corpus = await makeUsCorpus(dir);
});

/** A file derived from the corpus (or written from scratch) under `dir`. */
const derived = (name: string, bytes: Buffer): string => {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
};

type TCase = { name: string; input: () => string; code: TDicomImportErrorCode; message: RegExp };
const CASES: TCase[] = [
  {
    name: "Basic Text SR",
    input: () => corpus.structuredReport,
    code: "unsupported-sop-class",
    message: /1\.2\.840\.10008\.5\.1\.4\.1\.1\.88\.11 \(Basic Text SR\) is refused; accepted: US Image/,
  },
  {
    name: "Encapsulated PDF",
    input: () => corpus.encapsulatedPdf,
    code: "unsupported-sop-class",
    message: /\(Encapsulated PDF\) is refused/,
  },
  {
    name: "Explicit VR Big Endian",
    input: () => corpus.bigEndian,
    code: "unsupported-transfer-syntax",
    message: /1\.2\.840\.10008\.1\.2\.2 is not accepted: Explicit VR Big Endian \(retired\)/,
  },
  {
    name: "Deflated",
    input: () => corpus.deflated,
    code: "unsupported-transfer-syntax",
    message: /1\.2\.840\.10008\.1\.2\.1\.99 is not accepted: Deflated/,
  },
  {
    name: "native Pixel Data shorter than the geometry",
    input: () => corpus.shortPixelData,
    code: "truncated",
    message: /Pixel Data holds 32 bytes; 1 frame\(s\) of 8×8 need 64/,
  },
  {
    name: "cut inside the encapsulated Pixel Data",
    input: () => {
      const full = readFileSync(corpus.usMultiframeJpeg);
      return derived("cut-pixels.dcm", full.subarray(0, full.length - 200));
    },
    code: "truncated",
    message: /File ends inside (fragment \d+ of )?the encapsulated Pixel Data/,
  },
  {
    name: "cut inside native Pixel Data",
    input: () => {
      const full = readFileSync(corpus.usMultiframeImplicit);
      return derived("cut-native.dcm", full.subarray(0, full.length - 1000));
    },
    code: "truncated",
    message: /File ends inside Pixel Data: it declares 9216 bytes, 8216 are present/,
  },
  {
    name: "cut inside the header",
    input: () => derived("cut-header.dcm", readFileSync(corpus.usMultiframeJpeg).subarray(0, 400)),
    code: "truncated",
    message: /File ends inside/,
  },
  {
    name: "a JPEG, not DICOM",
    input: () => derived("photo.dcm", readFileSync(path.join(dir, "frame-0.jpg"))),
    code: "not-dicom",
    message: /not a DICOM Part 10 file \(no "DICM" after the 128-byte preamble\)/,
  },
  {
    name: "a dataset without preamble",
    input: () => derived("raw.dcm", readFileSync(corpus.usImageRle).subarray(132)),
    code: "not-dicom",
    message: /no "DICM"/,
  },
  {
    name: "an empty file",
    input: () => derived("empty.dcm", Buffer.alloc(0)),
    code: "not-dicom",
    message: /too short to be a DICOM Part 10 file/,
  },
];

describe.each(CASES)("reidentifyDicom refuses $name", (c) => {
  test(`throws DicomImportError ${c.code} with a useful message and writes nothing`, async () => {
    const outPath = path.join(outDir, `${c.name.replace(/\W+/g, "-")}.dcm`);
    const uids = { studyInstanceUid: createUid(), seriesInstanceUidFor: createSeriesUidMap() };
    const error = await reidentifyDicom({ inputPath: c.input(), outPath, context: ADT_CONTEXT, uids }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DicomImportError);
    expect((error as DicomImportError).code).toBe(c.code);
    expect((error as DicomImportError).message).toMatch(c.message);
    // Messages name the reason, never the patient.
    for (const v of [FOREIGN.patientId, "Gérard", "Müller"]) {
      expect((error as DicomImportError).message).not.toContain(v);
    }
    expect(readdirSync(outDir).filter((f) => f.startsWith(c.name.replace(/\W+/g, "-")))).toEqual([]);
  });
});

describe("reidentifyDicom refuses names the file's character set cannot carry", () => {
  test("a Greek ADT name into an ISO_IR 100 (Latin-1) file is a charset-conflict", async () => {
    const context = { ...ADT_CONTEXT, patient: { ...ADT_CONTEXT.patient, familyName: "Παπαδόπουλος" } };
    const uids = { studyInstanceUid: createUid(), seriesInstanceUidFor: createSeriesUidMap() };
    const outPath = path.join(outDir, "greek.dcm");
    const error = await reidentifyDicom({ inputPath: corpus.usMultiframeJpeg, outPath, context, uids }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DicomImportError);
    expect((error as DicomImportError).code).toBe("charset-conflict");
    expect((error as DicomImportError).message).toMatch(/Specific Character Set "ISO_IR 100" cannot encode/);
    expect((error as DicomImportError).message).not.toContain("Παπαδόπουλος");
  });

  test("the same name into a file without Specific Character Set becomes ISO_IR 192", async () => {
    const context = { ...ADT_CONTEXT, patient: { ...ADT_CONTEXT.patient, familyName: "Παπαδόπουλος" } };
    const uids = { studyInstanceUid: createUid(), seriesInstanceUidFor: createSeriesUidMap() };
    const outPath = path.join(outDir, "greek-utf8.dcm");
    await reidentifyDicom({ inputPath: corpus.usMultiframeImplicit, outPath, context, uids });
    const bytes = readFileSync(outPath);
    expect(bytes.includes(Buffer.from("ISO_IR 192"))).toBe(true);
    expect(bytes.includes(Buffer.from("Παπαδόπουλος^Jörg^^Dr", "utf8"))).toBe(true);
    // Re-identifying that UTF-8 file again keeps its character set and decodes the previous name as UTF-8.
    const again = await reidentifyDicom({
      inputPath: outPath,
      outPath: path.join(outDir, "greek-again.dcm"),
      context: ADT_CONTEXT,
      uids: { studyInstanceUid: createUid(), seriesInstanceUidFor: createSeriesUidMap() },
    });
    expect(again.original.patientName).toBe("Παπαδόπουλος^Jörg^^Dr");
    expect(again.original.changedTags).not.toContain("(0008,0005)");
  });
});

describe("reidentifyDicom checks the UIDs it is given", () => {
  test("an invalid Study Instance UID throws before anything is written", async () => {
    const uids = { studyInstanceUid: "1.2.03", seriesInstanceUidFor: createSeriesUidMap() };
    const outPath = path.join(outDir, "bad-uid.dcm");
    await expect(
      reidentifyDicom({ inputPath: corpus.usImageRle, outPath, context: ADT_CONTEXT, uids }),
    ).rejects.toThrow(/Study Instance UID "1\.2\.03" is not a valid DICOM UID/);
    expect(readdirSync(outDir).filter((f) => f.startsWith("bad-uid"))).toEqual([]);
  });
});
