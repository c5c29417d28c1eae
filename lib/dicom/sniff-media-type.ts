/**
 * Identifies an upload by its magic bytes, never by its name: JPEG (T.81 SOI + marker), PNG (PNG spec §5.2
 * signature), WebP (RIFF "WEBP", RFC 9649 §2), TIFF (TIFF 6.0 §2 header, also BigTIFF), HEIF/AVIF (ISO/IEC 14496-12
 * `ftyp` box with a HEIF brand, ISO/IEC 23008-12 Annex B; AV1 brands per AVIF §9), and a few formats we recognise
 * only to refuse them with a clear reason.
 */

/** Formats the photo path accepts. */
export type TPhotoMediaType = "jpeg" | "png" | "webp" | "tiff" | "heic" | "avif";
/** Formats recognised only to be refused by name. */
export type TRefusedMediaType = "gif" | "bmp" | "pdf" | "svg" | "dicom" | "video";
/** Every format the sniffer recognises. */
export type TMediaType = TPhotoMediaType | TRefusedMediaType;

/** Display names for messages: format names only, never file names (they may contain patient names). */
export const MEDIA_TYPE_NAMES: Record<TMediaType, string> = {
  jpeg: "JPEG",
  png: "PNG",
  webp: "WebP",
  tiff: "TIFF",
  heic: "HEIC/HEIF",
  avif: "AVIF",
  gif: "GIF",
  bmp: "BMP",
  pdf: "PDF",
  svg: "SVG",
  dicom: "DICOM",
  video: "video",
};

const ACCEPTED = new Set<TMediaType>(["jpeg", "png", "webp", "tiff", "heic", "avif"]);

/** @returns whether the photo path accepts this format */
export const isPhotoMediaType = (type: TMediaType): type is TPhotoMediaType => ACCEPTED.has(type);

const HEIC_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx"]);
const AVIF_BRANDS = new Set(["avif", "avis"]);
const VIDEO_BRANDS = new Set(["isom", "iso2", "mp41", "mp42", "qt  ", "M4V ", "3gp4", "3gp5", "3g2a", "avc1", "dash"]);

const ascii = (buf: Buffer, start: number, end: number): string =>
  buf.length >= end ? buf.toString("latin1", start, end) : "";

/** Brands of an ISO BMFF `ftyp` box (major + compatible), or null when the file does not start with one. */
const ftypBrands = (buf: Buffer): string[] | null => {
  if (ascii(buf, 4, 8) !== "ftyp") {
    return null;
  }
  const size = Math.min(buf.readUInt32BE(0), buf.length);
  const brands = [ascii(buf, 8, 12)];
  for (let at = 16; at + 4 <= size; at += 4) {
    brands.push(ascii(buf, at, at + 4));
  }
  return brands;
};

const sniffIsoBmff = (buf: Buffer): TMediaType | null => {
  const brands = ftypBrands(buf);
  if (brands === null) {
    return null;
  }
  // The major brand decides first (an AVIF lists mif1 and maybe heic-compatible brands too), then any brand.
  const [major] = brands;
  for (const list of [[major ?? ""], brands]) {
    if (list.some((b) => AVIF_BRANDS.has(b))) {
      return "avif";
    }
    if (list.some((b) => HEIC_BRANDS.has(b))) {
      return "heic";
    }
  }
  if (brands.some((b) => b === "mif1" || b === "msf1")) {
    return "heic"; // a HEIF image whose codec brand is missing: libheif decides
  }
  return brands.some((b) => VIDEO_BRANDS.has(b)) ? "video" : null;
};

/**
 * @param buf - the start of the file (the first 4 KiB are enough)
 * @returns the format the bytes say, or null when they match nothing we know
 */
export const sniffMediaType = (buf: Buffer): TMediaType | null => {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
    return "jpeg";
  }
  if (ascii(buf, 0, 8) === "\x89PNG\r\n\x1a\n") {
    return "png";
  }
  if (ascii(buf, 0, 4) === "RIFF" && ascii(buf, 8, 12) === "WEBP") {
    return "webp";
  }
  const tiffHead = ascii(buf, 0, 4);
  if (tiffHead === "II*\0" || tiffHead === "MM\0*" || tiffHead === "II+\0" || tiffHead === "MM\0+") {
    return "tiff";
  }
  if (ascii(buf, 0, 4) === "GIF8") {
    return "gif";
  }
  if (ascii(buf, 0, 2) === "BM" && buf.length >= 26) {
    return "bmp";
  }
  if (ascii(buf, 0, 5) === "%PDF-") {
    return "pdf";
  }
  if (ascii(buf, 128, 132) === "DICM") {
    return "dicom";
  }
  const iso = sniffIsoBmff(buf);
  if (iso !== null) {
    return iso;
  }
  const text = buf.toString("utf8", 0, Math.min(buf.length, 1024)).trimStart().toLowerCase();
  if (text.startsWith("<svg") || (text.startsWith("<?xml") && text.includes("<svg"))) {
    return "svg";
  }
  return null;
};
