/**
 * Decodes a photo once with sharp and encodes it once: either as baseline JPEG (quality 95, 4:2:0, `mozjpeg: false`,
 * `progressive: false`) or as raw 8-bit interleaved pixels for native (uncompressed) Pixel Data.
 *
 * - Auto-oriented (`.rotate()` applies EXIF Orientation 1–8): DICOM has no orientation attribute for VL images, so
 *   the pixels themselves must be upright.
 * - Alpha is flattened on white: the VL IODs have no alpha channel, and the colour under fully transparent pixels
 *   is undefined (often black); white is how a transparent image looks on paper and in browsers.
 * - Colour: with `keepIcc` the pixels stay in the source's RGB colour space and its profile goes to ICC Profile
 *   (0028,2000) — no gamut clipping of Display P3 / Adobe RGB photos. Without it (no profile, or a CMYK/Lab one)
 *   sharp converts to sRGB. Greyscale stays single-component.
 * - No metadata is written into the output (sharp's default), except the kept ICC profile inside a JPEG.
 */
import sharp from "sharp";
import { inspectJpeg, type TJpegInfo } from "@/lib/dicom/inspect-jpeg";
import { PhotoInputError } from "@/lib/dicom/photo-errors";

/** Pixel limit, output kind, greyscale, whether to keep the source ICC profile, format name for messages. */
export type TReencodeOptions = {
  maxPixels: number;
  target: "jpeg" | "native";
  grey: boolean;
  keepIcc: boolean;
  /** Format name for messages, e.g. "PNG". */
  name: string;
};

/** A baseline JPEG with its header facts, or raw 8-bit interleaved pixels with their geometry. */
export type TReencoded =
  | { target: "jpeg"; jpeg: Buffer; info: TJpegInfo }
  | { target: "native"; pixels: Buffer; width: number; height: number; components: number };

/**
 * Maps a sharp/libvips failure to the reason the uploader sees.
 * @param err - what sharp threw
 * @param maxPixels - the pixel limit in force, for the message
 * @param name - the sniffed format's name, for the message
 * @returns the PhotoInputError to throw
 */
export const toPhotoInputError = (err: unknown, maxPixels: number, name = "Photo"): PhotoInputError => {
  if (err instanceof PhotoInputError) {
    return err;
  }
  const text = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(text)) {
    return new PhotoInputError("unsupported-type", "File is not a supported image", { cause: err });
  }
  if (/pixel limit/i.test(text)) {
    return new PhotoInputError("too-large", `Photo has more pixels than the limit of ${maxPixels}`, { cause: err });
  }
  return new PhotoInputError("corrupt", `${name} photo cannot be decoded (truncated or damaged): ${text}`, {
    cause: err,
  });
};

/**
 * @param input - an image sharp can decode (JPEG, PNG, WebP, TIFF, AVIF)
 * @param opts - pixel limit (sharp's limitInputPixels), output kind, greyscale, whether to keep the ICC profile
 * @returns the JPEG and its header facts, or raw pixels (8 bits per sample, interleaved) and their geometry
 * @throws PhotoInputError when sharp cannot decode the input
 */
export const reencodePhoto = async (input: Buffer, opts: TReencodeOptions): Promise<TReencoded> => {
  let pipeline = sharp(input, { limitInputPixels: opts.maxPixels }).rotate().flatten({ background: "#ffffff" });
  pipeline = opts.keepIcc ? pipeline.keepIccProfile() : pipeline;
  pipeline = opts.grey ? pipeline.toColourspace("b-w") : pipeline;
  try {
    if (opts.target === "native") {
      const { data, info } = await pipeline.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
      return { target: "native", pixels: data, width: info.width, height: info.height, components: info.channels };
    }
    const jpeg = await pipeline
      .jpeg({ quality: 95, chromaSubsampling: "4:2:0", mozjpeg: false, progressive: false })
      .toBuffer();
    return { target: "jpeg", jpeg, info: inspectJpeg(jpeg) };
  } catch (err) {
    throw toPhotoInputError(err, opts.maxPixels, opts.name);
  }
};
