/**
 * Reads the Orientation tag (0x0112) from IFD0 of an EXIF APP1 payload (EXIF 2.3 §4.6.4; TIFF 6.0 §2 header and
 * IFD layout). Both byte orders ("II" little endian, "MM" big endian) are handled. A damaged EXIF block yields
 * `null` rather than an error: EXIF is stripped anyway, and an unreadable tag is treated as "no orientation".
 */

const ORIENTATION_TAG = 0x0112;
const TYPE_SHORT = 3;
const EXIF_HEADER = Buffer.from("Exif\0\0", "latin1");

/**
 * @param app1Payload - the APP1 segment payload (after marker and length), starting with "Exif\0\0"
 * @returns 1–8, or null when absent, out of range or unreadable
 */
export const readExifOrientation = (app1Payload: Buffer): number | null => {
  if (!app1Payload.subarray(0, EXIF_HEADER.length).equals(EXIF_HEADER)) {
    return null;
  }
  const tiff = app1Payload.subarray(EXIF_HEADER.length);
  if (tiff.length < 8) {
    return null;
  }
  const order = tiff.toString("latin1", 0, 2);
  if (order !== "II" && order !== "MM") {
    return null;
  }
  const le = order === "II";
  const u16 = (at: number): number => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number): number => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  if (u16(2) !== 42) {
    return null;
  }
  const ifd0 = u32(4);
  if (ifd0 + 2 > tiff.length) {
    return null;
  }
  const count = u16(ifd0);
  for (let i = 0; i < count; i++) {
    const entry = ifd0 + 2 + i * 12;
    if (entry + 12 > tiff.length) {
      return null;
    }
    if (u16(entry) === ORIENTATION_TAG) {
      // A SHORT with count 1 is stored left-aligned in the 4-byte value field.
      const value = u16(entry + 2) === TYPE_SHORT ? u16(entry + 8) : 0;
      return value >= 1 && value <= 8 ? value : null;
    }
  }
  return null;
};
