/**
 * JPEG header inspection and metadata stripping, without decoding any pixels.
 *
 * Marker codes are from ITU-T T.81 Table B.1; APPn payload identifiers from JFIF 1.02 (APP0 "JFIF\0"), EXIF 2.3
 * (APP1 "Exif\0\0"), ICC.1 Annex B.4 (APP2 "ICC_PROFILE\0") and Adobe TN 5116 (APP14 "Adobe", transform byte).
 */
import { JpegFormatError } from "@/lib/dicom/photo-errors";
import { readExifOrientation } from "@/lib/dicom/read-exif-orientation";
import { walkJpeg, type TJpegPiece } from "@/lib/dicom/walk-jpeg";

/** SOF0 baseline, SOF1 extended sequential, SOF2 progressive, anything else (lossless, hierarchical, arithmetic). */
export type TJpegSofType = "baseline" | "extended" | "progressive" | "other";
/** One frame component: identifier and horizontal / vertical sampling factors (T.81 B.2.2). */
export type TJpegComponent = { id: number; h: number; v: number };

export type TJpegInfo = {
  sofType: TJpegSofType;
  sofMarker: number;
  bitsPerSample: number;
  width: number;
  height: number;
  components: number;
  sampling: TJpegComponent[];
  /** EXIF Orientation 1–8 from the first APP1 Exif segment, null when absent or unreadable. */
  orientation: number | null;
  /** Payload of the first APP1 Exif segment ("Exif\0\0" + TIFF), a zero-copy view, or null. */
  exif: Buffer | null;
  /** The ICC profile reassembled from its APP2 chunks (ICC.1 Annex B.4), or null when absent or incomplete. */
  iccProfile: Buffer | null;
  /** Adobe APP14 transform (0 = none/RGB or CMYK, 1 = YCbCr, 2 = YCCK), null when there is no Adobe segment. */
  adobeTransform: number | null;
  hasJfif: boolean;
  pieces: TJpegPiece[];
};

const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;
const COM = 0xfe;

const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
const isApp = (m: number): boolean => m >= APP0 && m <= 0xef;
const SOF_TYPES: Record<number, TJpegSofType> = { 0xc0: "baseline", 0xc1: "extended", 0xc2: "progressive" };

const ICC_ID = "ICC_PROFILE\0";

/** Joins APP2 ICC_PROFILE chunks by their 1-based sequence numbers; null unless all `count` chunks are there. */
const assembleIcc = (chunks: Buffer[]): Buffer | null => {
  if (chunks.length === 0) {
    return null;
  }
  const count = chunks[0]?.[ICC_ID.length + 1] ?? 0;
  const bySeq = new Map<number, Buffer>();
  for (const c of chunks) {
    bySeq.set(c[ICC_ID.length] ?? 0, c.subarray(ICC_ID.length + 2));
  }
  const ordered: Buffer[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const part = bySeq.get(seq);
    if (part === undefined) {
      return null;
    }
    ordered.push(part);
  }
  return ordered.length === 0 || ordered.length !== bySeq.size ? null : Buffer.concat(ordered);
};

const payloadOf = (buf: Buffer, p: TJpegPiece): Buffer => buf.subarray(p.start + 4, p.end);
const startsWith = (payload: Buffer, id: string): boolean =>
  payload.length >= id.length && payload.toString("latin1", 0, id.length) === id;

/**
 * Parses the marker structure and frame header of a JPEG.
 * @param buf - the complete JPEG file
 * @throws JpegFormatError when the stream is not a JPEG, is truncated, or has no usable frame header
 */
export const inspectJpeg = (buf: Buffer): TJpegInfo => {
  const pieces = walkJpeg(buf);
  let sof: (TJpegPiece & { kind: "segment" }) | undefined;
  let orientation: number | null = null;
  let exif: Buffer | null = null;
  const iccChunks: Buffer[] = [];
  let adobeTransform: number | null = null;
  let hasJfif = false;
  for (const p of pieces) {
    if (p.kind !== "segment") {
      continue;
    }
    const payload = payloadOf(buf, p);
    if (isSof(p.marker) && sof === undefined) {
      sof = p;
    } else if (p.marker === APP0 && startsWith(payload, "JFIF\0")) {
      hasJfif = true;
    } else if (p.marker === APP1 && exif === null && startsWith(payload, "Exif\0")) {
      exif = payload;
      orientation = readExifOrientation(payload);
    } else if (p.marker === APP2 && startsWith(payload, ICC_ID) && payload.length > ICC_ID.length + 2) {
      iccChunks.push(payload);
    } else if (p.marker === APP14 && startsWith(payload, "Adobe") && payload.length >= 12) {
      adobeTransform = payload[11] as number;
    }
  }
  if (sof === undefined) {
    throw new JpegFormatError("malformed", "JPEG is malformed: no frame header (SOF marker)");
  }
  const frame = payloadOf(buf, sof);
  const components = frame[5] ?? 0;
  if (frame.length < 6 + components * 3 || components === 0) {
    throw new JpegFormatError("malformed", "JPEG is malformed: frame header too short");
  }
  const sampling: TJpegComponent[] = [];
  for (let i = 0; i < components; i++) {
    const at = 6 + i * 3;
    const hv = frame[at + 1] as number;
    sampling.push({ id: frame[at] as number, h: hv >> 4, v: hv & 0x0f });
  }
  const height = frame.readUInt16BE(1);
  const width = frame.readUInt16BE(3);
  if (width === 0 || height === 0) {
    // Height 0 means "defined later by DNL" (T.81 B.2.5): legal but unsupported by most readers.
    throw new JpegFormatError("malformed", "JPEG frame header has zero width or height (DNL is not supported)");
  }
  return {
    sofType: SOF_TYPES[sof.marker] ?? "other",
    sofMarker: sof.marker,
    bitsPerSample: frame[0] as number,
    width,
    height,
    components,
    sampling,
    orientation,
    exif,
    iccProfile: assembleIcc(iccChunks),
    adobeTransform,
    hasJfif,
    pieces,
  };
};

/** Marker segments we keep: JFIF APP0, ICC_PROFILE APP2, Adobe APP14; every non-APPn, non-COM segment. */
const keepSegment = (buf: Buffer, p: TJpegPiece & { kind: "segment" }): boolean => {
  if (p.marker === COM) {
    return false;
  }
  if (!isApp(p.marker)) {
    return true;
  }
  const payload = payloadOf(buf, p);
  return (
    (p.marker === APP0 && startsWith(payload, "JFIF\0")) ||
    (p.marker === APP2 && startsWith(payload, ICC_ID)) ||
    (p.marker === APP14 && startsWith(payload, "Adobe"))
  );
};

/**
 * The byte ranges of `buf` that survive metadata stripping, as zero-copy subarrays in file order (adjacent kept
 * pieces merged). Removed: EXIF and XMP (APP1), MPF/FlashPix (APP2 other than ICC), APP3–APP13 (incl. Photoshop
 * IPTC in APP13), APP15, non-JFIF APP0 (JFXX thumbnails), non-Adobe APP14, COM, and any bytes after EOI. SOI,
 * tables, frame and scan headers, entropy-coded data and EOI are kept byte for byte.
 * @param buf - the complete JPEG file
 * @param pieces - the result of a previous walk of `buf`, to avoid walking twice
 * @throws JpegFormatError as {@link inspectJpeg}
 */
export const listKeptJpegParts = (buf: Buffer, pieces: TJpegPiece[] = walkJpeg(buf)): Buffer[] => {
  const ranges: Array<[number, number]> = [];
  for (const p of pieces) {
    if (p.kind === "segment" && !keepSegment(buf, p)) {
      continue;
    }
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last[1] === p.start) {
      last[1] = p.end;
    } else {
      ranges.push([p.start, p.end]);
    }
  }
  return ranges.map(([start, end]) => buf.subarray(start, end));
};

/**
 * Returns a new JPEG without metadata segments (see {@link listKeptJpegParts} for what is removed and kept).
 * @param buf - the complete JPEG file
 * @param pieces - the result of a previous walk of `buf`, to avoid walking twice
 * @throws JpegFormatError as {@link inspectJpeg}
 */
export const stripJpegMetadata = (buf: Buffer, pieces: TJpegPiece[] = walkJpeg(buf)): Buffer =>
  Buffer.concat(listKeptJpegParts(buf, pieces));
