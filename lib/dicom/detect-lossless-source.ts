/**
 * Whether a decoded source was stored losslessly, which decides native Pixel Data over JPEG (README "Lossy vs
 * lossless"): PNG always; WebP when its bit stream is VP8L (RFC 9649 §2.5–2.7: "VP8 " is lossy); TIFF unless its
 * Compression tag (TIFF 6.0 §3 and the TIFF tag registry) is a lossy one; AVIF and HEIC are treated as lossy.
 */
import type { TPhotoMediaType } from "@/lib/dicom/sniff-media-type";

/** TIFF Compression values whose pixels are already lossy: old/new JPEG, JPEG 2000, lossy DNG JPEG, WebP. */
const LOSSY_TIFF = new Set([6, 7, 34712, 34892, 50001]);

/** Walks the RIFF chunks of a WebP to its image bit stream. */
const isLosslessWebp = (buf: Buffer): boolean => {
  for (let at = 12; at + 8 <= buf.length; ) {
    const fourcc = buf.toString("latin1", at, at + 4);
    if (fourcc === "VP8L") {
      return true;
    }
    if (fourcc === "VP8 ") {
      return false;
    }
    const size = buf.readUInt32LE(at + 4);
    at += 8 + size + (size % 2);
  }
  return false;
};

/**
 * @param type - the sniffed format
 * @param input - the file (WebP chunks are walked)
 * @param tiffCompression - IFD0 Compression of a TIFF (absent means 1, none)
 * @returns true when storing the decoded pixels uncompressed adds no loss the source did not have
 */
export const detectLosslessSource = (type: TPhotoMediaType, input: Buffer, tiffCompression: number | null): boolean =>
  type === "png" ||
  (type === "webp" && isLosslessWebp(input)) ||
  (type === "tiff" && !LOSSY_TIFF.has(tiffCompression ?? 1));
