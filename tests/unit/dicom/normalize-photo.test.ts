import sharp from "sharp";
import { describe, expect, test } from "vitest";
import { derivePhotometric } from "@/lib/dicom/derive-photometric";
import { inspectJpeg, stripJpegMetadata } from "@/lib/dicom/inspect-jpeg";
import { normalizePhoto } from "@/lib/dicom/normalize-photo";
import { PhotoInputError } from "@/lib/dicom/photo-errors";
import {
  fullChromaJpeg,
  greyscaleJpeg,
  HEIGHT,
  marked,
  orientedJpeg,
  pngWithAlpha,
  progressiveJpeg,
  uprightPhoneJpeg,
  WIDTH,
} from "./photo-fixtures";

const LIMIT = { maxPixels: 10_000 };

const expectPhotoError = async (input: Buffer, code: string, message: RegExp, maxPixels = 10_000): Promise<void> => {
  const err = await normalizePhoto(input, { maxPixels }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PhotoInputError);
  expect((err as PhotoInputError).code).toBe(code);
  expect((err as PhotoInputError).message).toMatch(message);
};

describe("derivePhotometric", () => {
  const ycc = [{ id: 1, h: 2, v: 2 }, { id: 2, h: 1, v: 1 }, { id: 3, h: 1, v: 1 }];
  const full = [{ id: 1, h: 1, v: 1 }, { id: 2, h: 1, v: 1 }, { id: 3, h: 1, v: 1 }];
  const rgbIds = [{ id: 0x52, h: 1, v: 1 }, { id: 0x47, h: 1, v: 1 }, { id: 0x42, h: 1, v: 1 }];
  const base = { adobeTransform: null, hasJfif: true };
  test("from components, sampling and the Adobe transform", () => {
    expect(derivePhotometric({ ...base, components: 1, sampling: [{ id: 1, h: 1, v: 1 }] })).toBe("MONOCHROME2");
    expect(derivePhotometric({ ...base, components: 3, sampling: ycc })).toBe("YBR_FULL_422");
    expect(derivePhotometric({ ...base, components: 3, sampling: full })).toBe("YBR_FULL");
    expect(derivePhotometric({ ...base, components: 3, sampling: full, adobeTransform: 0 })).toBe("RGB");
    expect(derivePhotometric({ ...base, components: 3, sampling: full, adobeTransform: 1 })).toBe("YBR_FULL");
    expect(derivePhotometric({ adobeTransform: null, hasJfif: false, components: 3, sampling: rgbIds })).toBe("RGB");
    expect(derivePhotometric({ ...base, components: 3, sampling: ycc, adobeTransform: 0 })).toBeNull();
    expect(derivePhotometric({ ...base, components: 4, sampling: [...full, { id: 4, h: 1, v: 1 }] })).toBeNull();
  });
});

describe("normalizePhoto", () => {
  test("upright baseline JPEG: metadata stripped only, pixel data byte for byte", async () => {
    const input = await uprightPhoneJpeg();
    const out = await normalizePhoto(input, LIMIT);
    expect(out).toMatchObject({ width: WIDTH, height: HEIGHT, components: 3, photometric: "YBR_FULL_422" });
    expect(out.reencoded).toBe(false);
    expect(out.jpeg.equals(stripJpegMetadata(input))).toBe(true);
  });

  test("baseline 4:4:4 and greyscale JPEGs pass through as YBR_FULL and MONOCHROME2", async () => {
    const full = await normalizePhoto(await fullChromaJpeg(), LIMIT);
    expect([full.photometric, full.reencoded]).toEqual(["YBR_FULL", false]);
    const grey = await normalizePhoto(await greyscaleJpeg(), LIMIT);
    expect([grey.photometric, grey.components, grey.reencoded]).toEqual(["MONOCHROME2", 1, false]);
  });

  test.each([6, 8] as const)("orientation %i: re-encoded upright, dimensions swapped", async (orientation) => {
    const out = await normalizePhoto(await orientedJpeg(orientation), LIMIT);
    expect(out).toMatchObject({ width: HEIGHT, height: WIDTH, photometric: "YBR_FULL_422", reencoded: true });
    const info = inspectJpeg(out.jpeg);
    expect([info.sofType, info.orientation]).toEqual(["baseline", null]);
    // No EXIF/XMP (APP1), ICC (APP2) or any other APPn/COM segment in what sharp wrote.
    const isAppOrCom = (m: number): boolean => (m >= 0xe1 && m <= 0xef) || m === 0xfe;
    const appOrCom = info.pieces.filter((p) => p.kind === "segment" && isAppOrCom(p.marker));
    expect(appOrCom).toEqual([]);
  });

  test("progressive JPEG is re-encoded as baseline 4:2:0; greyscale stays single-component", async () => {
    const colour = await normalizePhoto(await progressiveJpeg(), LIMIT);
    const info = inspectJpeg(colour.jpeg);
    expect([info.sofType, colour.photometric, colour.reencoded]).toEqual(["baseline", "YBR_FULL_422", true]);
    expect(info.sampling.map(({ h, v }) => `${h}x${v}`)).toEqual(["2x2", "1x1", "1x1"]);
    const grey = await normalizePhoto(await greyscaleJpeg(true), LIMIT);
    expect([grey.photometric, grey.components, grey.reencoded]).toEqual(["MONOCHROME2", 1, true]);
  });

  test("PNG with alpha is flattened on white", async () => {
    const out = await normalizePhoto(await pngWithAlpha(), LIMIT);
    expect(out).toMatchObject({ width: WIDTH, height: HEIGHT, photometric: "YBR_FULL_422", reencoded: true });
    const { data, info } = await sharp(out.jpeg).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number): number[] => {
      const i = (y * info.width + x) * 3;
      return [...data.subarray(i, i + 3)];
    };
    for (const c of at(4, 4)) {
      expect(c).toBeGreaterThan(245); // transparent → white
    }
    expect(at(60, 40)[2]).toBeGreaterThan(180); // opaque blue stays blue
  });

  test("WebP and TIFF are accepted", async () => {
    for (const input of [await marked().webp().toBuffer(), await marked().tiff().toBuffer()]) {
      expect(await normalizePhoto(input, LIMIT)).toMatchObject({ width: WIDTH, height: HEIGHT, reencoded: true });
    }
  });

  test("rejects non-images, unaccepted formats, corrupt and over-limit images", async () => {
    const jpeg = await uprightPhoneJpeg();
    const png = await pngWithAlpha();
    await expectPhotoError(Buffer.from("%PDF-1.4 not a photo"), "unsupported-type", /not a supported image/);
    await expectPhotoError(Buffer.alloc(0), "unsupported-type", /empty/);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    await expectPhotoError(svg, "unsupported-type", /"svg" is not accepted/);
    await expectPhotoError(await marked().gif().toBuffer(), "unsupported-type", /"gif" is not accepted/);
    await expectPhotoError(jpeg.subarray(0, jpeg.length - 200), "corrupt", /not a readable JPEG.*truncated/);
    await expectPhotoError(png.subarray(0, png.length - 40), "corrupt", /cannot be decoded/);
    await expectPhotoError(jpeg, "too-large", /64×48 pixels, more than the limit of 1000/, 1000);
    await expectPhotoError(png, "too-large", /than the limit of 1000/, 1000);
  });
});
