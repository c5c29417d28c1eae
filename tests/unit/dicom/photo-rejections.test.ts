/**
 * Every refusal is a PhotoInputError with a code and a message naming the reason (never the file name), and no
 * file is left behind: not an image, refused formats, content contradicting its declared type, truncated/corrupt
 * files of each accepted format, and decompression bombs caught from the header before anything is decoded.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { inspectJpeg } from "@/lib/dicom/inspect-jpeg";
import { PhotoInputError, type TPhotoInputErrorCode } from "@/lib/dicom/photo-errors";
import { wrapPhoto } from "@/lib/dicom/wrap-photo";
import { buildPhotoCorpus } from "@/tests/support/photo-corpus";
import { makeContext } from "./photo-fixtures";

const dir = mkdtempSync(path.join(tmpdir(), "photo-rejections-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const corpus = await buildPhotoCorpus(mkdtempSync(path.join(dir, "corpus-")));
const byFile = (pattern: RegExp, ext: string): Buffer => {
  const entry = corpus.find((e) => pattern.test(e.name) && e.declaredType.toLowerCase() === ext);
  if (entry === undefined) {
    throw new Error(`corpus has no ${pattern} ${ext}`);
  }
  return entry.file;
};
const jpeg = byFile(/orientation 1$/, ".jpg");
const rotatedJpeg = byFile(/orientation 6$/, ".jpg");
const png = byFile(/^PNG with alpha/, ".png");
const webp = byFile(/^WebP lossless/, ".webp");
const tiff = byFile(/^TIFF LZW/, ".tif");
const heic = byFile(/^HEIC$/, ".heic");

/** A PNG whose IHDR claims width × height (CRC fixed), followed by nothing: decoding it could only fail. */
const pngBomb = (width: number, height: number): Buffer => {
  const ihdr = Buffer.from(png.subarray(8, 8 + 25));
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr.writeUInt32BE(crc32(ihdr.subarray(4, 21)), 21);
  return Buffer.concat([png.subarray(0, 8), ihdr, png.subarray(33)]);
};

/** The JPEG with its SOF0 frame header claiming width × height; its scan data is far too short for that. */
const jpegBomb = (width: number, height: number): Buffer => {
  const out = Buffer.from(jpeg);
  // The frame's own SOF0, not the one of the EXIF thumbnail.
  const sof = inspectJpeg(out).pieces.find((p) => p.kind === "segment" && p.marker === 0xc0)?.start ?? -1;
  out.writeUInt16BE(height, sof + 5);
  out.writeUInt16BE(width, sof + 7);
  return out;
};

type TCase = { name: string; input: () => Buffer; declaredType?: string; code: TPhotoInputErrorCode; message: RegExp };

const CASES: TCase[] = [
  { name: "empty file", input: () => Buffer.alloc(0), code: "unsupported-type", message: /empty/ },
  {
    name: "plain text",
    input: () => Buffer.from("Wound looks better today\n"),
    code: "unsupported-type",
    message: /not a supported image \(accepted: JPEG, PNG, WebP, TIFF, HEIC\/HEIF, AVIF\)/,
  },
  { name: "PDF", input: () => Buffer.from("%PDF-1.7\n1 0 obj"), code: "unsupported-type", message: /PDF files are not/ },
  { name: "GIF", input: () => Buffer.from("GIF89a\x01\x00\x01\x00"), code: "unsupported-type", message: /GIF files/ },
  {
    name: "an MP4 video",
    input: () => Buffer.from("\0\0\0\x18ftypmp42\0\0\0\0isommp42"),
    code: "unsupported-type",
    message: /video files are not accepted/,
  },
  {
    name: "PNG named .jpg",
    input: () => png,
    declaredType: "wound-photo.jpg",
    code: "type-mismatch",
    message: /^File content is PNG but it was declared as \.jpg$/,
  },
  {
    name: "JPEG sent as image/heic",
    input: () => jpeg,
    declaredType: "image/heic",
    code: "type-mismatch",
    message: /content is JPEG but it was declared as image\/heic/,
  },
  {
    name: "HEIC named .png",
    input: () => heic,
    declaredType: "IMG_0001.PNG",
    code: "type-mismatch",
    message: /content is HEIC\/HEIF but it was declared as \.png/,
  },
  {
    name: "truncated JPEG",
    input: () => jpeg.subarray(0, jpeg.length - 300),
    code: "corrupt",
    message: /not a readable JPEG: JPEG is truncated/,
  },
  {
    name: "truncated rotated JPEG (its structure is walked before decoding)",
    input: () => rotatedJpeg.subarray(0, rotatedJpeg.length - 300),
    code: "corrupt",
    message: /truncated/,
  },
  {
    name: "truncated PNG",
    input: () => png.subarray(0, png.length - 60),
    code: "corrupt",
    message: /^PNG photo cannot be decoded \(truncated or damaged\)/,
  },
  { name: "truncated WebP", input: () => webp.subarray(0, webp.length - 40), code: "corrupt", message: /^WebP photo/ },
  { name: "truncated TIFF", input: () => tiff.subarray(0, 600), code: "corrupt", message: /^TIFF photo cannot be/ },
  {
    name: "truncated HEIC",
    input: () => heic.subarray(0, heic.length - 100),
    declaredType: "image/heic",
    code: "corrupt",
    message: /^HEIC\/HEIF photo cannot be decoded \(truncated or damaged\)/,
  },
  {
    name: "JPEG header claiming 50000×50000 (decompression bomb)",
    input: () => jpegBomb(50_000, 50_000),
    code: "too-large",
    message: /50000×50000 pixels, more than the limit of 100000000/,
  },
  {
    name: "PNG header claiming 40000×40000 (decompression bomb, no pixel data at all)",
    input: () => pngBomb(40_000, 40_000),
    code: "too-large",
    message: /40000×40000 pixels, more than the limit/,
  },
];

describe.each(CASES)("refuses $name", (c) => {
  test(`PhotoInputError ${c.code} with a clear message, nothing written`, async () => {
    const outPath = path.join(dir, `${c.name.replace(/\W+/g, "-")}.dcm`);
    const err = await wrapPhoto({ input: c.input(), outPath, context: makeContext(), declaredType: c.declaredType }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PhotoInputError);
    expect((err as PhotoInputError).code).toBe(c.code);
    expect((err as PhotoInputError).message).toMatch(c.message);
    expect((err as PhotoInputError).message).not.toContain("wound-photo");
    expect(existsSync(outPath) || existsSync(`${outPath}.tmp`)).toBe(false);
  });
});

describe("what is not refused", () => {
  test("a generic or unknown declared type is not a contradiction", async () => {
    for (const declaredType of ["application/octet-stream", "", "photo", "IMG_0001.JPG", "image/jpg"]) {
      const outPath = path.join(dir, `declared-${readdirSync(dir).length}.dcm`);
      await expect(wrapPhoto({ input: jpeg, outPath, context: makeContext(), declaredType })).resolves.toMatchObject({
        sourceType: "jpeg",
      });
    }
  });

  test("the pixel limit is a limit, not a refusal of everything: 64×48 passes at exactly 3072", async () => {
    const outPath = path.join(dir, "at-limit.dcm");
    await expect(wrapPhoto({ input: png, outPath, context: makeContext(), maxPixels: 64 * 48 })).resolves.toMatchObject({
      rows: 48,
    });
    await expect(
      wrapPhoto({ input: png, outPath, context: makeContext(), maxPixels: 64 * 48 - 1 }),
    ).rejects.toMatchObject({ code: "too-large" });
    await expect(
      wrapPhoto({ input: heic, outPath, context: makeContext(), maxPixels: 64 * 48 - 1 }),
    ).rejects.toMatchObject({ code: "too-large", message: /64×48 pixels/ });
  });
});
