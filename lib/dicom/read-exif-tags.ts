/**
 * Reads the few EXIF / TIFF tags the photo path uses, from a TIFF-structured block (TIFF 6.0 §2: "II"/"MM" header,
 * IFDs of 12-byte entries): IFD0 Orientation (0x0112) and Compression (0x0103), and from the Exif IFD (pointer
 * 0x8769, EXIF 2.32 §4.6.3) DateTimeOriginal (0x9003), OffsetTimeOriginal (0x9011) and SubSecTimeOriginal (0x9291).
 *
 * Accepts a JPEG APP1 payload ("Exif\0\0" + TIFF), a bare TIFF block (as sharp returns it for PNG eXIf and HEIF),
 * or a whole TIFF file (its IFD0 is the image). A damaged block yields nulls, never an error: the metadata is
 * removed anyway, and unreadable values are treated as absent.
 */

/** The tags the photo path uses; null for each one absent or unreadable. */
export type TExifTags = {
  /** 1–8, or null when absent or out of range. */
  orientation: number | null;
  /** TIFF Compression of IFD0 (1 none, 5 LZW, 7 JPEG, 8 Deflate, …), or null. */
  compression: number | null;
  /** "YYYY:MM:DD HH:MM:SS" as written by the camera, or null. */
  dateTimeOriginal: string | null;
  /** "+HH:MM" / "-HH:MM", or null. */
  offsetTimeOriginal: string | null;
  /** Fractions of a second as decimal digits, or null. */
  subSecTimeOriginal: string | null;
};

const NONE: TExifTags = {
  orientation: null,
  compression: null,
  dateTimeOriginal: null,
  offsetTimeOriginal: null,
  subSecTimeOriginal: null,
};

const TAG = { orientation: 0x0112, compression: 0x0103, exifIfd: 0x8769 } as const;
const EXIF_TAG = { dateTimeOriginal: 0x9003, offsetTimeOriginal: 0x9011, subSecTimeOriginal: 0x9291 } as const;
const TYPE_ASCII = 2;
const TYPE_SHORT = 3;
const TYPE_LONG = 4;
/** More IFD entries than any real file has: a loop guard against corrupt counts. */
const MAX_ENTRIES = 1000;

type TEntry = { type: number; count: number; valueAt: number };

const readIfd = (tiff: Buffer, le: boolean, offset: number): Map<number, TEntry> => {
  const u16 = (at: number): number => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number): number => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const entries = new Map<number, TEntry>();
  if (offset < 8 || offset + 2 > tiff.length) {
    return entries;
  }
  const count = Math.min(u16(offset), MAX_ENTRIES);
  for (let i = 0; i < count; i++) {
    const at = offset + 2 + i * 12;
    if (at + 12 > tiff.length) {
      break;
    }
    const type = u16(at + 2);
    const n = u32(at + 4);
    const size = type === TYPE_ASCII ? n : type === TYPE_SHORT ? 2 * n : 4 * n;
    // Values of 4 bytes or less sit in the entry itself, left-aligned; longer ones at an offset (TIFF 6.0 §2).
    entries.set(u16(at), { type, count: n, valueAt: size <= 4 ? at + 8 : u32(at + 8) });
  }
  return entries;
};

const asNumber = (tiff: Buffer, le: boolean, e: TEntry | undefined): number | null => {
  if (e === undefined || e.count < 1 || e.valueAt + 4 > tiff.length) {
    return null;
  }
  if (e.type === TYPE_SHORT) {
    return le ? tiff.readUInt16LE(e.valueAt) : tiff.readUInt16BE(e.valueAt);
  }
  if (e.type === TYPE_LONG) {
    return le ? tiff.readUInt32LE(e.valueAt) : tiff.readUInt32BE(e.valueAt);
  }
  return null;
};

const asText = (tiff: Buffer, e: TEntry | undefined): string | null => {
  if (e === undefined || e.type !== TYPE_ASCII || e.valueAt + e.count > tiff.length) {
    return null;
  }
  // NUL-terminated; some writers pad with spaces.
  const text = tiff.toString("latin1", e.valueAt, e.valueAt + e.count).replace(/\0.*$/s, "").trim();
  return text === "" ? null : text;
};

/**
 * @param block - "Exif\0\0" + TIFF, a bare TIFF block, or a TIFF file
 * @returns the tags found; null for each one absent or unreadable
 */
export const readExifTags = (block: Buffer): TExifTags => {
  const tiff = block.toString("latin1", 0, 6) === "Exif\0\0" ? block.subarray(6) : block;
  if (tiff.length < 8) {
    return NONE;
  }
  const order = tiff.toString("latin1", 0, 2);
  if (order !== "II" && order !== "MM") {
    return NONE;
  }
  const le = order === "II";
  if ((le ? tiff.readUInt16LE(2) : tiff.readUInt16BE(2)) !== 42) {
    return NONE; // BigTIFF (43) and anything else: no tags
  }
  const ifd0 = readIfd(tiff, le, le ? tiff.readUInt32LE(4) : tiff.readUInt32BE(4));
  const orientation = asNumber(tiff, le, ifd0.get(TAG.orientation));
  const exifOffset = asNumber(tiff, le, ifd0.get(TAG.exifIfd));
  const exif = exifOffset === null ? new Map<number, TEntry>() : readIfd(tiff, le, exifOffset);
  return {
    orientation: orientation !== null && orientation >= 1 && orientation <= 8 ? orientation : null,
    compression: asNumber(tiff, le, ifd0.get(TAG.compression)),
    dateTimeOriginal: asText(tiff, exif.get(EXIF_TAG.dateTimeOriginal)),
    offsetTimeOriginal: asText(tiff, exif.get(EXIF_TAG.offsetTimeOriginal)),
    subSecTimeOriginal: asText(tiff, exif.get(EXIF_TAG.subSecTimeOriginal)),
  };
};
