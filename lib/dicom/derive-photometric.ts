/**
 * Photometric Interpretation of an encapsulated JPEG, derived from the bit stream itself (never hard-coded per IOD).
 *
 * PS3.5 §8.2.1 and PS3.3 C.7.6.3.1.2: a lossy JPEG colour stream whose chrominance is subsampled is described as
 * YBR_FULL_422 (also for 4:2:0); a colour stream without subsampling as YBR_FULL; a stream with no colour transform
 * as RGB; a single component as MONOCHROME2. Which transform a stream uses follows the libjpeg conventions: an Adobe
 * APP14 transform flag wins; otherwise JFIF implies YCbCr (JFIF 1.02), and component identifiers 'R','G','B'
 * without JFIF/Adobe imply RGB.
 */
import type { TJpegInfo } from "@/lib/dicom/inspect-jpeg";

export type TPhotometric = "YBR_FULL_422" | "YBR_FULL" | "RGB" | "MONOCHROME2";

const RGB_IDS = [0x52, 0x47, 0x42];

/**
 * @param info - the result of inspectJpeg for the JPEG that will be encapsulated
 * @returns the Photometric Interpretation, or null when DICOM cannot describe the stream (CMYK/YCCK, 2 or 4
 *   components, RGB with subsampling); such inputs must be re-encoded
 */
export const derivePhotometric = (info: Pick<TJpegInfo, "components" | "sampling" | "adobeTransform" | "hasJfif">):
  TPhotometric | null => {
  if (info.components === 1) {
    return "MONOCHROME2";
  }
  if (info.components !== 3) {
    return null;
  }
  const [first] = info.sampling;
  const subsampled = info.sampling.some((c) => c.h !== first?.h || c.v !== first?.v);
  const noTransform =
    info.adobeTransform === 0 ||
    (info.adobeTransform === null && !info.hasJfif && info.sampling.every((c, i) => c.id === RGB_IDS[i]));
  if (noTransform) {
    return subsampled ? null : "RGB";
  }
  return subsampled ? "YBR_FULL_422" : "YBR_FULL";
};
