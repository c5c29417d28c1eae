/**
 * Turns an uploaded photo into the pixels we store: a JPEG to encapsulate (JPEG Baseline, PS3.5 §A.4.1) or raw
 * 8-bit pixels for native Pixel Data (Explicit VR Little Endian). Every format is decoded at most once.
 *
 * | Input | Result |
 * |---|---|
 * | baseline JPEG, Orientation 1/absent, 4:2:x YCbCr, RGB or grey | pass-through: metadata removed, pixels verbatim |
 * | any other JPEG (rotated, progressive, 4:4:4 YCbCr, 12-bit, CMYK) | sharp → upright baseline JPEG q95 4:2:0 |
 * | HEIC/HEIF | heif-convert (libheif transformations applied) → baseline JPEG q95 → as pass-through |
 * | lossy WebP, AVIF, JPEG-compressed TIFF | sharp → upright baseline JPEG q95 4:2:0 |
 * | PNG, lossless WebP, uncompressed/LZW/Deflate TIFF | sharp → upright raw RGB / greyscale: lossless stays lossless |
 *
 * The type is sniffed from the magic bytes and must agree with the declared MIME type / extension when one is
 * given; the pixel count is checked from the header before anything is decoded.
 */
import sharp from "sharp";
import { decodeHeic } from "@/lib/dicom/decode-heic";
import { detectLosslessSource } from "@/lib/dicom/detect-lossless-source";
import { derivePhotometric, type TPhotometric } from "@/lib/dicom/derive-photometric";
import { identifyPhoto } from "@/lib/dicom/identify-photo";
import { inspectJpeg, listKeptJpegParts, type TJpegInfo } from "@/lib/dicom/inspect-jpeg";
import { loadSrgbProfile } from "@/lib/dicom/load-srgb-profile";
import { JpegFormatError, PhotoInputError } from "@/lib/dicom/photo-errors";
import { readExifTags, type TExifTags } from "@/lib/dicom/read-exif-tags";
import { reencodePhoto, toPhotoInputError } from "@/lib/dicom/reencode-photo";
import { MEDIA_TYPE_NAMES, type TPhotoMediaType } from "@/lib/dicom/sniff-media-type";

type TPhotoFacts = {
  width: number;
  height: number;
  components: number;
  photometric: TPhotometric;
  /** false only for the JPEG pass-through. */
  reencoded: boolean;
  /** The format the magic bytes say. */
  sourceType: TPhotoMediaType;
  /** Colour images: the source's RGB profile, or sRGB when it had none (`iccAssumed`); greyscale: null. */
  iccProfile: Buffer | null;
  iccAssumed: boolean;
  /** EXIF tags of the source (for DateTimeOriginal), null when it had no EXIF. */
  exif: TExifTags | null;
};

/** What we store: JPEG parts (encapsulated) or raw pixels (native), with Image Pixel, ICC and EXIF facts. */
export type TNormalizedPhoto = TPhotoFacts &
  (
    | {
        encoding: "jpeg";
        /** The JPEG to encapsulate (concatenated from `jpegParts` on first access). */
        readonly jpeg: Buffer;
        /** The same bytes as zero-copy slices of the input, so the writer can avoid a multi-megabyte copy. */
        jpegParts: Buffer[];
        jpegLength: number;
      }
    | {
        encoding: "native";
        /** Rows × Columns × Samples bytes, interleaved (Planar Configuration 0). */
        pixels: Buffer;
      }
  );

type TSharpMetadata = Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;

type TBase = Omit<TPhotoFacts, "iccProfile" | "iccAssumed"> & { sourceIcc: Buffer | null };

const checkPixels = (width: number, height: number, maxPixels: number): void => {
  if (width * height > maxPixels) {
    throw new PhotoInputError("too-large", `Photo has ${width}×${height} pixels, more than the limit of ${maxPixels}`);
  }
};

/** An RGB ICC profile (ICC.1 §7.2.6 data colour space 'RGB ') can describe our RGB output; CMYK/Lab/grey cannot. */
const isRgbProfile = (icc: Buffer | null | undefined): icc is Buffer =>
  icc !== null && icc !== undefined && icc.length >= 128 && icc.toString("latin1", 16, 20) === "RGB ";

type TWithIcc<T> = Omit<T, "sourceIcc"> & Pick<TPhotoFacts, "iccProfile" | "iccAssumed">;

/** Adds the ICC facts: the source's RGB profile, else sRGB assumed; none for greyscale. */
const withIcc = async <T extends TBase>(facts: T): Promise<TWithIcc<T>> => {
  const { sourceIcc, ...rest } = facts;
  if (facts.components !== 3) {
    return { ...rest, iccProfile: null, iccAssumed: false };
  }
  return isRgbProfile(sourceIcc)
    ? { ...rest, iccProfile: sourceIcc, iccAssumed: false }
    : { ...rest, iccProfile: await loadSrgbProfile(), iccAssumed: true };
};

/** A JPEG result whose `jpeg` is only concatenated if someone asks for it. */
const jpegResult = async (parts: Buffer[], facts: TBase): Promise<TNormalizedPhoto> => {
  let joined: Buffer | undefined;
  return {
    ...(await withIcc(facts)),
    encoding: "jpeg",
    jpegParts: parts,
    jpegLength: parts.reduce((n, p) => n + p.length, 0),
    get jpeg(): Buffer {
      joined ??= parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      return joined;
    },
  };
};

const inspectOrThrow = (buf: Buffer, what = "JPEG"): TJpegInfo => {
  try {
    return inspectJpeg(buf);
  } catch (err) {
    if (err instanceof JpegFormatError) {
      throw new PhotoInputError("corrupt", `Photo is not a readable ${what}: ${err.message}`, { cause: err });
    }
    throw err;
  }
};

/** JPEG: pass-through when it can be; otherwise one sharp decode + encode. */
const normalizeJpeg = async (input: Buffer, maxPixels: number): Promise<TNormalizedPhoto> => {
  const info = inspectOrThrow(input);
  checkPixels(info.width, info.height, maxPixels);
  const exif = info.exif === null ? null : readExifTags(info.exif);
  const photometric = derivePhotometric(info);
  const base = { sourceType: "jpeg" as const, exif, sourceIcc: info.iccProfile };
  // YBR_FULL (4:4:4 YCbCr) is not among the VL Image module's enumerated values (PS3.3 C.8.12.1.1.2): re-encode.
  const describable = photometric !== null && photometric !== "YBR_FULL";
  if (info.sofType === "baseline" && (info.orientation ?? 1) === 1 && describable) {
    const { width, height, components } = info;
    const facts = { ...base, width, height, components, photometric, reencoded: false };
    return jpegResult(listKeptJpegParts(input, info.pieces), facts);
  }
  const keepIcc = isRgbProfile(info.iccProfile) && info.components === 3;
  const grey = info.components === 1;
  const out = await reencodePhoto(input, { maxPixels, target: "jpeg", grey, keepIcc, name: "JPEG" });
  if (out.target !== "jpeg") {
    throw new Error("reencodePhoto returned raw pixels for a JPEG target");
  }
  return fromReencodedJpeg(out.info, out.jpeg, { ...base, sourceIcc: keepIcc ? info.iccProfile : null });
};

/** Facts of a JPEG we produced ourselves (sharp or heif-convert): it must be baseline and describable. */
const fromReencodedJpeg = (
  info: TJpegInfo,
  jpeg: Buffer,
  base: Pick<TBase, "sourceType" | "exif" | "sourceIcc">,
): Promise<TNormalizedPhoto> => {
  const photometric = derivePhotometric(info);
  if (info.sofType !== "baseline" || photometric === null || photometric === "YBR_FULL") {
    throw new Error(`decoder produced a ${info.sofType} JPEG with ${info.components} components; expected baseline`);
  }
  const { width, height, components } = info;
  const facts = { ...base, width, height, components, photometric, reencoded: true };
  return jpegResult(listKeptJpegParts(jpeg, info.pieces), facts);
};

/** HEIC: libheif decodes and applies irot/imir; its JPEG's EXIF Orientation is ignored (MIAF), metadata stripped. */
const normalizeHeic = async (input: Buffer, maxPixels: number, meta: TSharpMetadata): Promise<TNormalizedPhoto> => {
  const jpeg = await decodeHeic(input);
  const info = inspectOrThrow(jpeg, "HEIC");
  checkPixels(info.width, info.height, maxPixels);
  const exif = meta.exif === undefined ? null : readExifTags(meta.exif);
  return fromReencodedJpeg(info, jpeg, { sourceType: "heic", exif, sourceIcc: info.iccProfile ?? meta.icc ?? null });
};

/** PNG, WebP, TIFF, AVIF, HEIC: header facts from sharp (no decoding), then one decode. */
const normalizeOther = async (input: Buffer, type: TPhotoMediaType, maxPixels: number): Promise<TNormalizedPhoto> => {
  let meta: TSharpMetadata;
  try {
    // Header only; no pixel limit here so that the check below can name the dimensions.
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw toPhotoInputError(err, maxPixels, MEDIA_TYPE_NAMES[type]);
  }
  checkPixels(meta.width ?? 0, meta.pageHeight ?? meta.height ?? 0, maxPixels);
  if (type === "heic" && meta.compression !== "av1") {
    return normalizeHeic(input, maxPixels, meta);
  }
  const tiffTags = type === "tiff" ? readExifTags(input) : null;
  const exif = meta.exif === undefined ? tiffTags : readExifTags(meta.exif);
  const lossless = detectLosslessSource(type, input, tiffTags?.compression ?? null);
  const grey = meta.space === "b-w" || meta.space === "grey16";
  const keepIcc = !grey && isRgbProfile(meta.icc);
  const sourceType = type === "heic" ? "avif" : type;
  const base = { sourceType, exif, sourceIcc: keepIcc ? (meta.icc ?? null) : null };
  const target = lossless ? "native" : "jpeg";
  const out = await reencodePhoto(input, { maxPixels, target, grey, keepIcc, name: MEDIA_TYPE_NAMES[type] });
  if (out.target === "jpeg") {
    return fromReencodedJpeg(out.info, out.jpeg, base);
  }
  const { width, height, components, pixels } = out;
  const photometric = components === 1 ? "MONOCHROME2" : "RGB";
  const facts = await withIcc({ ...base, width, height, components, photometric, reencoded: true });
  return { ...facts, encoding: "native", pixels };
};

/**
 * Normalizes a photo for storage as VL Photographic / VL Endoscopic Image pixel data.
 * @param input - the uploaded file
 * @param opts.maxPixels - refuse images with more pixels than this (checked from the header; also sharp's limit)
 * @param opts.declaredType - MIME type or file name / extension the uploader gave; must match the content
 * @returns JPEG parts or raw pixels, the Image Pixel facts, the ICC profile and the source's EXIF tags
 * @throws PhotoInputError `unsupported-type`, `type-mismatch`, `corrupt` or `too-large`
 */
export const normalizePhoto = async (
  input: Buffer,
  opts: { maxPixels: number; declaredType?: string },
): Promise<TNormalizedPhoto> => {
  const type = identifyPhoto(input, opts.declaredType);
  return type === "jpeg" ? normalizeJpeg(input, opts.maxPixels) : normalizeOther(input, type, opts.maxPixels);
};
