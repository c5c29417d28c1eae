/**
 * Every corpus input (tests/support/photo-corpus.ts) wrapped as XC and as ES: valid for dciodvfy, readable by dcmdump
 * and pydicom, pixels upright and faithful, no planted GPS / serial / maker note / thumbnail left, ICC and EXIF date.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, test } from "vitest";
import { toDicomDate, toDicomDateTime, toDicomTime } from "@/lib/dicom/format-dicom-values";
import { loadSrgbProfile } from "@/lib/dicom/load-srgb-profile";
import { EXPLICIT_VR_LITTLE_ENDIAN, JPEG_BASELINE_TRANSFER_SYNTAX } from "@/lib/dicom/uids";
import { wrapPhoto, type TWrapPhotoResult } from "@/lib/dicom/wrap-photo";
import { runDciodvfy, runDcmdump, runExiftool } from "@/tests/support/dicom-tools";
import {
  buildPhotoCorpus,
  MARKER,
  meanAbsDiff,
  PLANTED,
  PLANTED_DATE_TIME,
  runTool,
  TRUTH_HEIGHT,
  TRUTH_WIDTH,
} from "@/tests/support/photo-corpus";
import { pixelItemsOf, readWithDcmjs } from "./dicom-expectations";
import { makeContext } from "./photo-fixtures";

const dir = mkdtempSync(path.join(tmpdir(), "photo-corpus-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const corpus = await buildPhotoCorpus(dir);
const p3Profile = readFileSync(path.join(dir, "p3.icc"));
const srgbProfile = await loadSrgbProfile();

/** exiftool groups / tags that would mean camera metadata survived. */
const LEAKED_METADATA = /\[(IFD0|IFD1|ExifIFD|GPS|XMP[-\w]*|IPTC|MakerNotes|MPF0)\]|GPS|Serial|Maker Note|Thumbnail/;

const PYDICOM_HEADER = `
import json, sys
import pydicom
ds = pydicom.dcmread(sys.argv[1])
print(json.dumps({
  "ts": str(ds.file_meta.TransferSyntaxUID),
  "sopClass": str(ds.SOPClassUID),
  "rows": int(ds.Rows), "columns": int(ds.Columns),
  "photometric": str(ds.PhotometricInterpretation),
  "iccLength": len(ds.ICCProfile) if "ICCProfile" in ds else None,
  "pixelBytes": len(ds.PixelData),
  "contentDate": str(ds.ContentDate), "contentTime": str(ds.ContentTime),
  "acquisitionDateTime": str(ds.AcquisitionDateTime),
}))
`;

/** Decoded pixels of the DICOM file: the JPEG fragment decoded by sharp (no colour conversion), or native bytes. */
const decodeDicomPixels = async (file: Buffer, samples: number): Promise<{ data: Buffer; width: number; height: number }> => {
  const { meta, dataset } = readWithDcmjs(file);
  const [width, height] = [Number(dataset.Columns), Number(dataset.Rows)];
  if (meta.TransferSyntaxUID === EXPLICIT_VR_LITTLE_ENDIAN) {
    const raw = Buffer.from((dataset.PixelData as ArrayBuffer[])[0] as ArrayBuffer);
    return { data: raw.subarray(0, width * height * samples), width, height };
  }
  const fragment = pixelItemsOf(file).items[1] as Buffer;
  const decoder = sharp(fragment, { ignoreIcc: true });
  const { data, info } = await (samples === 1 ? decoder.extractChannel(0) : decoder)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
};

describe.each(corpus.flatMap((entry) => (["XC", "ES"] as const).map((modality) => ({ entry, modality }))))(
  "$entry.name as $modality",
  ({ entry, modality }) => {
    const slug = `${entry.name.replace(/\W+/g, "-")}-${modality}`;
    const outPath = path.join(dir, `${slug}.dcm`);
    const samples = entry.expected.photometric === "MONOCHROME2" ? 1 : 3;
    let result: TWrapPhotoResult;
    let file: Buffer;

    test("wraps with the expected transfer syntax and encoding", async () => {
      result = await wrapPhoto({
        input: entry.file,
        outPath,
        context: makeContext({ modality }),
        maxPixels: 1_000_000,
        declaredType: entry.declaredType,
      });
      file = readFileSync(outPath);
      expect(result.transferSyntaxUid).toBe(
        entry.expected.encoding === "jpeg" ? JPEG_BASELINE_TRANSFER_SYNTAX : EXPLICIT_VR_LITTLE_ENDIAN,
      );
      expect(result.reencoded).toBe(entry.expected.reencoded);
      expect([result.columns, result.rows]).toEqual([TRUTH_WIDTH, TRUTH_HEIGHT]);
    });

    test("dciodvfy -new reports no errors", () => {
      const report = runDciodvfy(outPath);
      expect(report.split("\n").filter((l) => /^(Error|Abort)/.test(l)), report).toEqual([]);
    });

    test("dcmdump and pydicom read it", () => {
      const dump = runDcmdump(outPath);
      expect(dump).toContain(`(0028,0004) CS [${entry.expected.photometric}]`);
      expect(dump).toMatch(/\(7fe0,0010\) O[BW]/);
      const py = JSON.parse(runTool("/usr/bin/python3", ["-c", PYDICOM_HEADER, outPath], "python3-pydicom")) as Record<
        string,
        unknown
      >;
      expect(py).toMatchObject({
        ts: result.transferSyntaxUid,
        rows: TRUTH_HEIGHT,
        columns: TRUTH_WIDTH,
        photometric: entry.expected.photometric,
        iccLength: entry.expected.icc === null ? null : expect.any(Number),
      });
      if (entry.expected.encoding === "native") {
        expect(py.pixelBytes).toBe(TRUTH_WIDTH * TRUTH_HEIGHT * samples + ((TRUTH_WIDTH * TRUTH_HEIGHT * samples) % 2));
      }
    });

    test("pixels are upright and faithful to the source", async () => {
      const { data, width, height } = await decodeDicomPixels(file, samples);
      expect([width, height]).toEqual([TRUTH_WIDTH, TRUTH_HEIGHT]);
      const diff = meanAbsDiff(data, entry.expected.truth);
      expect(diff, `mean absolute difference ${diff.toFixed(2)}`).toBeLessThanOrEqual(entry.expected.maxMeanDiff);
      if (samples === 3 && entry.expected.truth[0] === 220) {
        // The red marker sits top-left and nowhere else (the asymmetric pattern, not just a small difference).
        const at = (x: number, y: number): number[] => [...data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
        const red = ([r, g, b]: number[]): boolean => (r ?? 0) > 150 && (g ?? 255) < 90 && (b ?? 255) < 90;
        expect(red(at(MARKER / 2, MARKER / 2))).toBe(true);
        expect(red(at(width - MARKER / 2, MARKER / 2)) || red(at(MARKER / 2, height - MARKER / 2))).toBe(false);
      }
    });

    test("no planted GPS, serial, maker note or thumbnail survives", () => {
      const text = file.toString("latin1");
      for (const planted of PLANTED) {
        expect(text, planted).not.toContain(planted);
      }
      const report = runExiftool(outPath);
      expect(report).toMatch(/\[DICOM\]/);
      expect(report).not.toMatch(LEAKED_METADATA);
      if (entry.expected.encoding === "jpeg") {
        const jpegPath = path.join(dir, `${slug}.fragment.jpg`);
        writeFileSync(jpegPath, pixelItemsOf(file).items[1] as Buffer);
        const jpegReport = runExiftool(jpegPath);
        expect(jpegReport).toMatch(/\[File\]/);
        expect(jpegReport).not.toMatch(LEAKED_METADATA);
      }
    });

    test("the source really carried the planted metadata", () => {
      if (!entry.expected.planted) {
        expect(entry.expected.exifDate).toBe(false);
        return;
      }
      const srcPath = path.join(dir, `${slug}.source${entry.declaredType}`);
      writeFileSync(srcPath, entry.file);
      const report = runExiftool(srcPath);
      expect(report).toMatch(/GPS Latitude/);
      expect(report).toContain("BODY-SN-7731");
      expect(report).toContain("LENS-SN-4417");
    });

    test("ICC Profile (0028,2000): the source's profile, sRGB when it had none, none for greyscale", () => {
      const { dataset } = readWithDcmjs(file);
      const value = dataset.ICCProfile as ArrayBuffer | ArrayBuffer[] | undefined;
      const icc = value === undefined ? null : Buffer.from(Array.isArray(value) ? (value[0] as ArrayBuffer) : value);
      if (entry.expected.icc === null) {
        expect(icc).toBeNull();
        return;
      }
      expect(icc?.equals(entry.expected.icc === "source" ? p3Profile : srgbProfile)).toBe(true);
      expect(dataset.ColorSpace).toBe(entry.expected.icc === "srgb" ? "SRGB" : undefined);
    });

    test("Content Date/Time and Acquisition DateTime from EXIF DateTimeOriginal when planted", () => {
      const { dataset } = readWithDcmjs(file);
      const when = entry.expected.exifDate ? PLANTED_DATE_TIME : makeContext().instance.contentDateTime;
      expect(result.contentDateTimeSource).toBe(entry.expected.exifDate ? "exif" : "capture");
      expect([dataset.ContentDate, dataset.ContentTime, dataset.AcquisitionDateTime]).toEqual([
        toDicomDate(when),
        toDicomTime(when),
        toDicomDateTime(when),
      ]);
    });
  },
);
