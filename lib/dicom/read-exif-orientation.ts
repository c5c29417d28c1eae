/**
 * Reads the Orientation tag (0x0112) from IFD0 of an EXIF APP1 payload (EXIF 2.3 §4.6.4), both byte orders. A
 * damaged EXIF block yields `null` rather than an error: EXIF is stripped anyway, and an unreadable tag is treated
 * as "no orientation". The IFD walk itself is {@link readExifTags}.
 */
import { readExifTags } from "@/lib/dicom/read-exif-tags";

const EXIF_HEADER = "Exif\0\0";

/**
 * @param app1Payload - the APP1 segment payload (after marker and length), starting with "Exif\0\0"
 * @returns 1–8, or null when absent, out of range or unreadable
 */
export const readExifOrientation = (app1Payload: Buffer): number | null =>
  app1Payload.toString("latin1", 0, EXIF_HEADER.length) === EXIF_HEADER
    ? readExifTags(app1Payload).orientation
    : null;
