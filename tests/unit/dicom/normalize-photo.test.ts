import sharp from "sharp";
import { describe, expect, test } from "vitest";
import { derivePhotometric } from "@/lib/dicom/derive-photometric";
import { inspectJpeg, stripJpegMetadata } from "@/lib/dicom/inspect-jpeg";
import { normalizePhoto, type TNormalizedPhoto } from "@/lib/dicom/normalize-photo";
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

/** The encapsulated JPEG of a result; fails when the photo was stored natively. */
const jpegOf = (out: TNormalizedPhoto): Buffer => {
  if (out.encoding !== "jpeg") {
    throw new Error(`expected a JPEG result, got ${out.encoding}`);
  }
  return out.jpeg;
};

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
    expect(jpegOf(out).equals(stripJpegMetadata(input))).toBe(true);
  });

  test("greyscale baseline passes through as MONOCHROME2; 4:4:4 YCbCr (YBR_FULL, not allowed in VL) is re-encoded", async () => {
    const full = await normalizePhoto(await fullChromaJpeg(), LIMIT);
    expect([full.photometric, full.reencoded]).toEqual(["YBR_FULL_422", true]);
    const grey = await normalizePhoto(await greyscaleJpeg(), LIMIT);
    expect([grey.photometric, grey.components, grey.reencoded]).toEqual(["MONOCHROME2", 1, false]);
  });

  test.each([6, 8] as const)("orientation %i: re-encoded upright, dimensions swapped", async (orientation) => {
    const out = await normalizePhoto(await orientedJpeg(orientation), LIMIT);
    expect(out).toMatchObject({ width: HEIGHT, height: WIDTH, photometric: "YBR_FULL_422", reencoded: true });
    const jpeg = jpegOf(out);
    const info = inspectJpeg(jpeg);
    expect([info.sofType, info.orientation]).toEqual(["baseline", null]);
    // No EXIF/XMP (APP1) or any other APPn/COM segment in what sharp wrote, except the source's kept ICC profile.
    const isAppOrCom = (m: number): boolean => (m >= 0xe1 && m <= 0xef) || m === 0xfe;
    const appOrCom = info.pieces.filter((p) => p.kind === "segment" && isAppOrCom(p.marker));
    const isIcc = (p: (typeof appOrCom)[number]): boolean =>
      p.kind === "segment" && p.marker === 0xe2 && jpeg.toString("latin1", p.start + 4, p.start + 16) === "ICC_PROFILE\0";
    expect(appOrCom.filter((p) => !isIcc(p))).toEqual([]);
    expect(out.iccProfile?.equals(info.iccProfile ?? Buffer.alloc(0))).toBe(true);
  });

  test("progressive JPEG is re-encoded as baseline 4:2:0; greyscale stays single-component", async () => {
    const colour = await normalizePhoto(await progressiveJpeg(), LIMIT);
    const info = inspectJpeg(jpegOf(colour));
    expect([info.sofType, colour.photometric, colour.reencoded]).toEqual(["baseline", "YBR_FULL_422", true]);
    expect(info.sampling.map(({ h, v }) => `${h}x${v}`)).toEqual(["2x2", "1x1", "1x1"]);
    const grey = await normalizePhoto(await greyscaleJpeg(true), LIMIT);
    expect([grey.photometric, grey.components, grey.reencoded]).toEqual(["MONOCHROME2", 1, true]);
  });

  test("CMYK JPEG: converted to sRGB once, re-encoded baseline 4:2:0, labelled with the assumed sRGB profile", async () => {
    const cmyk = await marked().toColourspace("cmyk").jpeg({ quality: 95 }).toBuffer();
    expect(inspectJpeg(cmyk).components).toBe(4);
    const out = await normalizePhoto(cmyk, LIMIT);
    expect(out).toMatchObject({ components: 3, photometric: "YBR_FULL_422", reencoded: true, iccAssumed: true });
    const { data } = await sharp(jpegOf(out)).raw().toBuffer({ resolveWithObject: true });
    const [r, g, b] = [...data.subarray(0, 3)]; // the red marker survives the CMYK round trip
    expect([(r ?? 0) > 150, (g ?? 255) < 90, (b ?? 255) < 90]).toEqual([true, true, true]);
  });

  test("PNG with alpha is stored natively as RGB, flattened on white", async () => {
    const out = await normalizePhoto(await pngWithAlpha(), LIMIT);
    expect(out).toMatchObject({ width: WIDTH, height: HEIGHT, photometric: "RGB", encoding: "native", components: 3 });
    if (out.encoding !== "native") {
      throw new Error("expected native pixels");
    }
    expect(out.pixels.length).toBe(WIDTH * HEIGHT * 3);
    const at = (x: number, y: number): number[] => {
      const i = (y * WIDTH + x) * 3;
      return [...out.pixels.subarray(i, i + 3)];
    };
    for (const c of at(4, 4)) {
      expect(c).toBeGreaterThan(245); // transparent → white
    }
    expect(at(60, 40)[2]).toBeGreaterThan(180); // opaque blue stays blue
  });

  test("WebP and TIFF are accepted; lossless TIFF stays lossless, JPEG-compressed TIFF becomes JPEG", async () => {
    const lossy = await normalizePhoto(await marked().webp().toBuffer(), LIMIT);
    expect(lossy).toMatchObject({ width: WIDTH, height: HEIGHT, reencoded: true, encoding: "jpeg" });
    const lzw = await normalizePhoto(await marked().tiff({ compression: "lzw" }).toBuffer(), LIMIT);
    expect(lzw).toMatchObject({ width: WIDTH, height: HEIGHT, reencoded: true, encoding: "native", photometric: "RGB" });
    // sharp's default TIFF compression is JPEG: already lossy, so it becomes a JPEG, not 3 bytes per pixel.
    const jpegTiff = await normalizePhoto(await marked().tiff().toBuffer(), LIMIT);
    expect(jpegTiff).toMatchObject({ encoding: "jpeg", photometric: "YBR_FULL_422" });
  });

  test("rejects non-images, unaccepted formats, corrupt and over-limit images", async () => {
    const jpeg = await uprightPhoneJpeg();
    const png = await pngWithAlpha();
    await expectPhotoError(Buffer.from("%PDF-1.4 not a photo"), "unsupported-type", /PDF files are not accepted/);
    await expectPhotoError(Buffer.from("hello, not a photo"), "unsupported-type", /not a supported image/);
    await expectPhotoError(Buffer.alloc(0), "unsupported-type", /empty/);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    await expectPhotoError(svg, "unsupported-type", /SVG files are not accepted/);
    await expectPhotoError(await marked().gif().toBuffer(), "unsupported-type", /GIF files are not accepted/);
    await expectPhotoError(jpeg.subarray(0, jpeg.length - 200), "corrupt", /not a readable JPEG.*truncated/);
    await expectPhotoError(png.subarray(0, png.length - 40), "corrupt", /cannot be decoded/);
    await expectPhotoError(jpeg, "too-large", /64×48 pixels, more than the limit of 1000/, 1000);
    await expectPhotoError(png, "too-large", /than the limit of 1000/, 1000);
  });
});
