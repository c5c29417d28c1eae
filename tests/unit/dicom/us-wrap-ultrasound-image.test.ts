import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, test } from "vitest";
import { US_IMAGE_STORAGE } from "@/lib/dicom/build-us-dataset";
import { PhotoInputError } from "@/lib/dicom/photo-errors";
import { createUid, JPEG_BASELINE_TRANSFER_SYNTAX } from "@/lib/dicom/uids";
import { wrapUltrasoundImage, type TUltrasoundContext } from "@/lib/dicom/wrap-ultrasound-image";
import { readWithPydicom, runDciodvfy, runDcmdump } from "@/tests/support/dicom-tools";
import { ADT_CONTEXT } from "@/tests/support/us-corpus";
import { parseDcmdump, pixelItemsOf } from "./dicom-expectations";

const dir = mkdtempSync(path.join(tmpdir(), "us-wrap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const [WIDTH, HEIGHT] = [320, 240];

/** A synthetic B-mode-like still: grey sector on black, optional colour box (Doppler). */
const still = async (opts: { colour: boolean; subsampling?: "4:2:0" | "4:4:4" }): Promise<Buffer> => {
  const channels = opts.colour ? 3 : 1;
  const raw = Buffer.alloc(WIDTH * HEIGHT * channels);
  for (let y = 0; y < HEIGHT; y += 1) {
    for (let x = 0; x < WIDTH; x += 1) {
      const inSector = Math.abs(x - WIDTH / 2) < y * 0.6;
      const grey = inSector ? (x * 7 + y * 13) % 200 : 0;
      const at = (y * WIDTH + x) * channels;
      raw.fill(grey, at, at + channels);
      if (opts.colour && x > 140 && x < 180 && y > 100 && y < 140) {
        raw[at] = 220;
        raw[at + 2] = 30;
      }
    }
  }
  const image = sharp(raw, { raw: { width: WIDTH, height: HEIGHT, channels } });
  return (opts.colour ? image : image.toColourspace("b-w"))
    .jpeg({ quality: 90, chromaSubsampling: opts.subsampling ?? "4:2:0", mozjpeg: false, progressive: false })
    .toBuffer();
};

const makeContext = (over: Partial<TUltrasoundContext> = {}): TUltrasoundContext => ({
  ...ADT_CONTEXT,
  study: {
    studyInstanceUid: createUid(),
    studyDateTime: new Date(2025, 2, 14, 10, 15, 0, 0),
    description: "Point-of-care ultrasound",
    procedureCode: { code: "POCUS-ABD", scheme: "99ENCCAP", meaning: "Point-of-care abdominal ultrasound" },
    studyId: "CAP43",
  },
  series: { seriesInstanceUid: createUid(), seriesNumber: 1, modality: "US", description: "FAST" },
  instance: { sopInstanceUid: createUid(), instanceNumber: 1, contentDateTime: new Date(2025, 2, 14, 10, 16, 5, 0) },
  operatorName: "Clinician^ED",
  ...over,
});

type TCase = {
  name: string;
  input: () => Promise<Buffer>;
  context: () => TUltrasoundContext;
  photometric: string;
  samples: number;
  reencoded: boolean;
};
const CASES: TCase[] = [
  {
    name: "colour 4:2:0 baseline (pass-through)",
    input: () => still({ colour: true }),
    context: () => makeContext(),
    photometric: "YBR_FULL_422",
    samples: 3,
    reencoded: false,
  },
  {
    name: "greyscale baseline with calibration, exam type and laterality",
    input: () => still({ colour: false }),
    context: () => {
      const c = makeContext({
        ultrasound: {
          examType: "MUSCULOSKELETAL",
          modes: "0001",
          regions: [{ x0: 0, y0: 0, x1: WIDTH - 1, y1: HEIGHT - 1, deltaX: 0.02, deltaY: 0.02 }],
          deviceManufacturer: "ACME Ultrasound",
          deviceModelName: "Handheld 2",
        },
      });
      return { ...c, instance: { ...c.instance, imageLaterality: "R" } };
    },
    photometric: "MONOCHROME2",
    samples: 1,
    reencoded: false,
  },
  {
    name: "colour 4:4:4 (re-encoded to 4:2:0)",
    input: () => still({ colour: true, subsampling: "4:4:4" }),
    context: () => makeContext(),
    photometric: "YBR_FULL_422",
    samples: 3,
    reencoded: true,
  },
];

describe.each(CASES)("wrapUltrasoundImage: $name", (c) => {
  const outPath = path.join(dir, `${c.name.replace(/\W+/g, "-")}.dcm`);
  const context = c.context();
  let input: Buffer;

  test("writes a US Image, JPEG Baseline, atomically, with size and hash", async () => {
    input = await c.input();
    const result = await wrapUltrasoundImage({ input, outPath, context });
    const bytes = readFileSync(outPath);
    expect(existsSync(`${outPath}.tmp`)).toBe(false);
    expect(result).toMatchObject({
      sopClassUid: US_IMAGE_STORAGE,
      transferSyntaxUid: JPEG_BASELINE_TRANSFER_SYNTAX,
      rows: HEIGHT,
      columns: WIDTH,
      photometric: c.photometric,
      reencoded: c.reencoded,
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  });

  test("dciodvfy reports no errors", () => {
    const report = runDciodvfy(outPath);
    expect(report.split("\n").filter((l) => l.startsWith("Error"))).toEqual([]);
  });

  test("dcmdump reads the US Image module and the ADT identity", () => {
    const dump = parseDcmdump(runDcmdump(outPath, ["-Un"]));
    const value = (tag: string): string | undefined => dump.get(tag)?.value;
    expect(value("0008,0016")).toBe(US_IMAGE_STORAGE);
    expect(value("0008,0060")).toBe("US");
    expect(value("0008,0050")).toBe("");
    expect(value("0010,0010")).toBe("Müller^Jörg^^Dr");
    expect(value("0010,0020")).toBe("MRN-000123");
    expect(value("0038,0010")).toBe("V-2025-0042");
    expect(value("0028,0004")).toBe(c.photometric);
    expect(value("0028,0002")).toBe(String(c.samples));
    expect(value("0028,2110")).toBe("01");
    expect(value("0020,0020")).toBe("");
    expect(dump.has("0020,0062")).toBe(false);
    expect(dump.has("0040,0555")).toBe(false);
  });

  test("pydicom reads Image Type, laterality, calibration and one fragment", () => {
    const py = readWithPydicom(outPath);
    const us = context.ultrasound;
    expect(py.dataset.ImageType).toEqual(
      us ? ["DERIVED", "PRIMARY", us.examType, us.modes] : ["DERIVED", "PRIMARY"],
    );
    expect(py.dataset.Laterality).toBe(context.instance.imageLaterality === "R" ? "R" : "");
    expect(py.dataset.DerivationCodeSequence).toEqual([
      { CodeValue: "113040", CodingSchemeDesignator: "DCM", CodeMeaning: "Lossy Compression" },
    ]);
    if (us?.regions) {
      expect(py.dataset.SequenceOfUltrasoundRegions).toHaveLength(1);
      expect(py.dataset.Manufacturer).toBe("ACME Ultrasound");
    }
    expect(py.pixelItems).toHaveLength(2);
    expect(py.pixelItems[0]?.length).toBe(0);
  });

  const fragmentTitle = c.reencoded ? "the fragment is a new baseline JPEG" : "the fragment is the device's JPEG as is";
  test(fragmentTitle, () => {
    const { items, endsAtDelimiter } = pixelItemsOf(readFileSync(outPath));
    expect(endsAtDelimiter).toBe(true);
    const fragment = items[1] as Buffer;
    if (c.reencoded) {
      expect(fragment.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      expect(fragment.subarray(0, input.length).equals(input)).toBe(false);
    } else {
      expect(fragment.subarray(0, input.length).equals(input)).toBe(true);
      expect(fragment.length - input.length).toBe(input.length % 2);
    }
  });
});

describe("wrapUltrasoundImage refuses", () => {
  test("a PNG (device stills are JPEG)", async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#000" } }).png().toBuffer();
    const error = await wrapUltrasoundImage({ input: png, outPath: path.join(dir, "png.dcm"), context: makeContext() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhotoInputError);
    expect((error as PhotoInputError).code).toBe("unsupported-type");
    expect((error as PhotoInputError).message).toMatch(/must be JPEG/);
    expect(existsSync(path.join(dir, "png.dcm"))).toBe(false);
  });

  test("a truncated JPEG", async () => {
    const jpeg = await still({ colour: true });
    const error = await wrapUltrasoundImage({
      input: jpeg.subarray(0, jpeg.length >> 1),
      outPath: path.join(dir, "cut.dcm"),
      context: makeContext(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhotoInputError);
    expect((error as PhotoInputError).code).toBe("corrupt");
  });
});
