import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, test } from "vitest";
import { VL_ENDOSCOPIC_IMAGE_STORAGE, VL_PHOTOGRAPHIC_IMAGE_STORAGE } from "@/lib/dicom/uids";
import { wrapPhoto } from "@/lib/dicom/wrap-photo";
import { readWithPydicom, runDciodvfy, runDcmdump } from "@/tests/support/dicom-tools";
import { asText, expectedAttributes, parseDcmdump, pixelItemsOf, readWithDcmjs } from "./dicom-expectations";
import {
  greyscaleJpeg,
  HEIGHT,
  makeContext,
  MARKER,
  orientedJpeg,
  progressiveJpeg,
  uprightPhoneJpeg,
  WIDTH,
} from "./photo-fixtures";

const dir = mkdtempSync(path.join(tmpdir(), "wrap-photo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type TCorner = "top-left" | "top-right" | "bottom-left";
type TCase = {
  name: string;
  input: () => Promise<Buffer>;
  modality: "XC" | "ES";
  reencoded: boolean;
  photometric: string;
  samples: number;
  portrait: boolean;
  /** Where the red marker must be after decoding; null when the image has no colour marker. Native (PNG, TIFF) and
   * HEIC outputs are covered by photo-corpus.test.ts. */
  marker: TCorner | null;
};

const COLOUR = { reencoded: true, photometric: "YBR_FULL_422", samples: 3, portrait: false } as const;
const CASES: TCase[] = [
  { ...COLOUR, name: "upright, EXIF", input: uprightPhoneJpeg, modality: "XC", reencoded: false, marker: "top-left" },
  { ...COLOUR, name: "orientation 6", input: () => orientedJpeg(6), modality: "ES", portrait: true, marker: "top-right" },
  { ...COLOUR, name: "orientation 8", input: () => orientedJpeg(8), modality: "XC", portrait: true, marker: "bottom-left" },
  { ...COLOUR, name: "progressive JPEG", input: progressiveJpeg, modality: "XC", marker: "top-left" },
  {
    ...COLOUR,
    name: "greyscale baseline JPEG",
    input: () => greyscaleJpeg(),
    modality: "XC",
    reencoded: false,
    photometric: "MONOCHROME2",
    samples: 1,
    marker: null,
  },
];

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** RGB at the centre of the marker-sized square in `corner` of a decoded image. */
const cornerColour = async (jpeg: Buffer, corner: TCorner | "bottom-right"): Promise<number[]> => {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const x = corner.endsWith("left") ? MARKER / 2 : info.width - MARKER / 2;
  const y = corner.startsWith("top") ? MARKER / 2 : info.height - MARKER / 2;
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + 3)];
};
const isRed = ([r, g, b]: number[]): boolean => (r ?? 0) > 150 && (g ?? 0) < 90 && (b ?? 0) < 90;

describe.each(CASES)("wrapPhoto: $name", (c) => {
  const outPath = path.join(dir, `${c.name.replace(/\W+/g, "-")}.dcm`);
  const context = makeContext({ modality: c.modality });
  const sopClass = c.modality === "XC" ? VL_PHOTOGRAPHIC_IMAGE_STORAGE : VL_ENDOSCOPIC_IMAGE_STORAGE;
  const [rows, columns] = c.portrait ? [WIDTH, HEIGHT] : [HEIGHT, WIDTH];
  const pixels = { rows, columns, samples: c.samples, photometric: c.photometric };
  const expected = expectedAttributes(context, sopClass, pixels);
  let input: Buffer;

  test("writes the file atomically and reports size, hash, geometry", async () => {
    input = await c.input();
    const result = await wrapPhoto({ input, outPath, context, maxPixels: 1_000_000 });
    const file = readFileSync(outPath);
    expect(result).toEqual({
      sopClassUid: sopClass,
      transferSyntaxUid: "1.2.840.10008.1.2.4.50",
      size: file.length,
      sha256: sha256(file),
      rows,
      columns,
      reencoded: c.reencoded,
      sourceType: "jpeg",
      contentDateTime: context.instance.contentDateTime,
      contentDateTimeSource: "capture",
    });
    expect(existsSync(`${outPath}.tmp`)).toBe(false);
  });

  test("dcmjs reads back every attribute, the sequences and the file meta", () => {
    const { meta, dataset } = readWithDcmjs(readFileSync(outPath));
    for (const [keyword, , , value] of expected) {
      expect(asText(dataset[keyword]), keyword).toBe(value);
    }
    expect(dataset.PlanarConfiguration === undefined).toBe(c.samples === 1);
    expect(asText(dataset.TimezoneOffsetFromUTC)).toMatch(/^[+-]\d{4}$/);
    expect(dataset.AcquisitionContextSequence).toEqual([]);
    expect(dataset.IssuerOfAccessionNumberSequence).toBeUndefined();
    expect(dataset.IssuerOfAdmissionIDSequence).toMatchObject([{ LocalNamespaceEntityID: "GENHOSP" }]);
    expect(dataset.IssuerOfPatientIDQualifiersSequence).toMatchObject([
      { UniversalEntityID: "1.2.826.0.1.3680043.10.999.1", UniversalEntityIDType: "ISO" },
    ]);
    expect(dataset.ProcedureCodeSequence).toMatchObject([
      { CodeValue: "DERM-PHOTO", CodingSchemeDesignator: "99ENCCAP", CodeMeaning: "Dermatology clinical photograph" },
    ]);
    expect(meta).toMatchObject({
      TransferSyntaxUID: "1.2.840.10008.1.2.4.50",
      MediaStorageSOPClassUID: sopClass,
      MediaStorageSOPInstanceUID: context.instance.sopInstanceUid,
    });
  });

  test("dcmdump lists every attribute with its VR, and Pixel Data last as a 2-item pixel sequence", () => {
    const dump = runDcmdump(outPath, ["-Un"]);
    const elements = parseDcmdump(dump);
    for (const [keyword, tag, vr, value] of expected) {
      expect(elements.get(tag), `${keyword} (${tag})`).toEqual({ vr, value });
    }
    expect(elements.has("0008,0051")).toBe(false);
    expect(dump).toMatch(/\(0040,0555\) SQ \(Sequence with undefined length #=0\)/);
    expect(dump).toMatch(/\(0040,0031\) UT \[GENHOSP\]/);
    expect(dump).toMatch(/\(0040,0033\) CS \[ISO\]/);
    expect(dump).toMatch(/\(0008,0100\) SH \[DERM-PHOTO\][\s\S]*\(0008,0102\) SH \[99ENCCAP\]/);
    expect(dump).toMatch(/\(0002,0010\) UI \[1\.2\.840\.10008\.1\.2\.4\.50\]/);
    const topLevel = [...elements.keys()].filter((t) => !t.startsWith("0002") && !t.startsWith("fffe"));
    expect(topLevel.at(-1)).toBe("7fe0,0010");
    expect(topLevel).toEqual([...topLevel].sort());
    expect(dump).toMatch(/\(7fe0,0010\) OB \(PixelSequence #=2\)/);
  });

  test("pydicom reads every attribute and the two Pixel Data items", () => {
    const py = readWithPydicom(outPath);
    for (const [keyword, , , value] of expected) {
      expect(asText(py.dataset[keyword]), keyword).toBe(value);
    }
    expect(py.dataset.AcquisitionContextSequence).toEqual([]);
    expect(py.dataset.IssuerOfAdmissionIDSequence).toEqual([{ LocalNamespaceEntityID: "GENHOSP" }]);
    expect(py.meta.TransferSyntaxUID).toBe("1.2.840.10008.1.2.4.50");
    const { items, endsAtDelimiter } = pixelItemsOf(readFileSync(outPath));
    expect(endsAtDelimiter).toBe(true);
    expect(py.pixelItems).toEqual(items.map((i) => ({ length: i.length, sha256: sha256(i) })));
    expect(py.pixelItems[0]?.length).toBe(0); // empty Basic Offset Table
    expect((py.pixelItems[1]?.length ?? 1) % 2).toBe(0);
  });

  test("dciodvfy -new reports no errors", () => {
    const report = runDciodvfy(outPath);
    expect(report.split("\n").filter((l) => l.includes("Error")), report).toEqual([]);
  });

  test("decoded pixels are upright", async () => {
    const fragment = pixelItemsOf(readFileSync(outPath)).items[1] as Buffer;
    const decoded = await sharp(fragment).metadata();
    expect([decoded.width, decoded.height]).toEqual([columns, rows]);
    const source = await sharp(input).metadata();
    expect([source.width, source.height]).toEqual([WIDTH, HEIGHT]); // stored unrotated in the source
    if (c.marker === null) {
      return;
    }
    expect(isRed(await cornerColour(input, "top-left")), "source marker stored top-left").toBe(true);
    for (const corner of ["top-left", "top-right", "bottom-left", "bottom-right"] as const) {
      expect(isRed(await cornerColour(fragment, corner)), corner).toBe(corner === c.marker);
    }
  });
});
