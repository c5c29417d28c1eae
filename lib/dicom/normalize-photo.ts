/**
 * Turns an uploaded photo into the JPEG we encapsulate (JPEG Baseline, PS3.5 §A.4.1).
 *
 * - An upright baseline (SOF0) JPEG is only stripped of metadata: its pixel data stays byte for byte, so no
 *   generation loss is added.
 * - Anything else (EXIF-rotated, progressive, extended/12-bit, CMYK, or PNG/WebP/TIFF/AVIF) is decoded by sharp,
 *   auto-oriented (DICOM has no EXIF-orientation attribute, so pixels must be upright), flattened on white and
 *   re-encoded as baseline JPEG quality 95, 4:2:0, without any metadata.
 */
import sharp from "sharp";
import { derivePhotometric, type TPhotometric } from "@/lib/dicom/derive-photometric";
import { inspectJpeg, listKeptJpegParts, type TJpegInfo } from "@/lib/dicom/inspect-jpeg";
import { JpegFormatError, PhotoInputError } from "@/lib/dicom/photo-errors";

export type TNormalizedPhoto = {
  /** The JPEG to encapsulate (concatenated from `jpegParts` on first access). */
  readonly jpeg: Buffer;
  /** The same bytes as zero-copy slices of the input, so the writer can avoid a multi-megabyte copy. */
  jpegParts: Buffer[];
  jpegLength: number;
  width: number;
  height: number;
  components: number;
  photometric: TPhotometric;
  reencoded: boolean;
};

/** Formats sharp may decode for us. SVG, GIF, PDF and raw camera formats are refused on purpose. */
const ACCEPTED_FORMATS = new Set(["jpeg", "png", "webp", "tiff", "heif"]);

type TFacts = Omit<TNormalizedPhoto, "jpeg" | "jpegParts" | "jpegLength">;

/** A result whose `jpeg` is only concatenated if someone asks for it. */
const withParts = (parts: Buffer[], facts: TFacts): TNormalizedPhoto => {
  let joined: Buffer | undefined;
  return {
    ...facts,
    jpegParts: parts,
    jpegLength: parts.reduce((n, p) => n + p.length, 0),
    get jpeg(): Buffer {
      joined ??= parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      return joined;
    },
  };
};

const isJpeg = (buf: Buffer): boolean => buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xd8;

const checkPixels = (width: number, height: number, maxPixels: number): void => {
  if (width * height > maxPixels) {
    throw new PhotoInputError("too-large", `Photo has ${width}×${height} pixels, more than the limit of ${maxPixels}`);
  }
};

const inspectOrThrow = (buf: Buffer): TJpegInfo => {
  try {
    return inspectJpeg(buf);
  } catch (err) {
    if (err instanceof JpegFormatError) {
      throw new PhotoInputError("corrupt", `Photo is not a readable JPEG: ${err.message}`, { cause: err });
    }
    throw err;
  }
};

const sharpError = (err: unknown, maxPixels: number): PhotoInputError => {
  const text = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(text)) {
    return new PhotoInputError("unsupported-type", "File is not a supported image (JPEG, PNG, WebP, TIFF, AVIF)", {
      cause: err,
    });
  }
  if (/pixel limit/i.test(text)) {
    return new PhotoInputError("too-large", `Photo has more pixels than the limit of ${maxPixels}`, { cause: err });
  }
  return new PhotoInputError("corrupt", `Photo cannot be decoded: ${text}`, { cause: err });
};

/** Runs a sharp step, mapping its errors (thrown synchronously or asynchronously) to PhotoInputError. */
const withSharp = async <T>(maxPixels: number, step: () => Promise<T>): Promise<T> => {
  try {
    return await step();
  } catch (err) {
    throw err instanceof PhotoInputError ? err : sharpError(err, maxPixels);
  }
};

/** Decodes with sharp, auto-orients, flattens alpha on white and encodes baseline JPEG q95 4:2:0, no metadata. */
const reencode = async (input: Buffer, maxPixels: number): Promise<TNormalizedPhoto> => {
  if (input.length === 0) {
    throw new PhotoInputError("unsupported-type", "File is empty, not a supported image");
  }
  const meta = await withSharp(maxPixels, () => sharp(input, { limitInputPixels: maxPixels }).metadata());
  if (meta.format === undefined || !ACCEPTED_FORMATS.has(meta.format)) {
    throw new PhotoInputError("unsupported-type", `Image format "${meta.format ?? "unknown"}" is not accepted`);
  }
  if (meta.format === "heif" && meta.compression === "hevc") {
    throw new PhotoInputError("unsupported-type", "HEIC (HEVC) photos are not supported; send JPEG instead");
  }
  checkPixels(meta.width ?? 0, meta.pageHeight ?? meta.height ?? 0, maxPixels);
  // sharp outputs sRGB by default; keep greyscale inputs single-component (MONOCHROME2).
  const grey = meta.space === "b-w" || meta.space === "grey16";
  const jpeg = await withSharp(maxPixels, () => {
    const pipeline = sharp(input, { limitInputPixels: maxPixels }).rotate().flatten({ background: "#ffffff" });
    return (grey ? pipeline.toColourspace("b-w") : pipeline)
      .jpeg({ quality: 95, chromaSubsampling: "4:2:0", mozjpeg: false, progressive: false })
      .toBuffer();
  });
  const info = inspectJpeg(jpeg);
  const photometric = derivePhotometric(info);
  if (info.sofType !== "baseline" || photometric === null) {
    throw new Error(`sharp produced a ${info.sofType} JPEG with ${info.components} components; expected baseline`);
  }
  const { width, height, components } = info;
  return withParts([jpeg], { width, height, components, photometric, reencoded: true });
};

/**
 * Normalizes a photo for encapsulation as JPEG Baseline.
 * @param input - the uploaded file
 * @param opts.maxPixels - refuse images with more pixels than this (also passed to sharp as limitInputPixels)
 * @returns the JPEG to encapsulate and the Image Pixel facts derived from it
 * @throws PhotoInputError `unsupported-type`, `corrupt` or `too-large`
 */
export const normalizePhoto = async (input: Buffer, opts: { maxPixels: number }): Promise<TNormalizedPhoto> => {
  if (isJpeg(input)) {
    const info = inspectOrThrow(input);
    checkPixels(info.width, info.height, opts.maxPixels);
    const photometric = derivePhotometric(info);
    if (info.sofType === "baseline" && (info.orientation ?? 1) === 1 && photometric !== null) {
      return withParts(listKeptJpegParts(input, info.pieces), {
        width: info.width,
        height: info.height,
        components: info.components,
        photometric,
        reencoded: false,
      });
    }
  }
  return reencode(input, opts.maxPixels);
};
