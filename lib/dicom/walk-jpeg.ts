/**
 * Splits a JPEG interchange stream into its pieces (ITU-T T.81 Annex B): marker segments, standalone markers and
 * entropy-coded data, in file order, up to and including the first EOI. Nothing is copied: pieces are offsets.
 *
 * Entropy-coded data runs from the end of an SOS segment to the next marker that is not a stuffed 0xFF00, a
 * restart marker RSTn (0xFFD0–0xFFD7) or a fill byte (T.81 B.1.1.2, B.1.1.5). Bytes after EOI (MPF secondary
 * images, vendor trailers) are not part of the image and are left out.
 */
import { JpegFormatError } from "@/lib/dicom/photo-errors";

/** One piece of a JPEG stream; `end` is exclusive. `marker` is the second marker byte (0xD8 for SOI …). */
export type TJpegPiece =
  | { kind: "marker"; marker: number; start: number; end: number }
  | { kind: "segment"; marker: number; start: number; end: number }
  | { kind: "entropy"; start: number; end: number };

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;

const isRst = (m: number): boolean => m >= 0xd0 && m <= 0xd7;

/** Offset of the marker that ends the entropy-coded data starting at `from`. */
const findEntropyEnd = (buf: Buffer, from: number): number => {
  let p = from;
  for (;;) {
    p = buf.indexOf(0xff, p);
    if (p < 0 || p + 1 >= buf.length) {
      throw new JpegFormatError("truncated", "JPEG is truncated: scan data ends without an EOI marker");
    }
    const next = buf[p + 1] as number;
    if (next === 0x00 || isRst(next)) {
      p += 2;
    } else if (next === 0xff) {
      p += 1; // fill byte before a marker (T.81 B.1.1.2)
    } else {
      return p;
    }
  }
};

/**
 * Walks the marker structure of a JPEG.
 * @param buf - the complete file
 * @returns the pieces from SOI through EOI inclusive
 * @throws JpegFormatError `not-jpeg` (no SOI), `truncated` (no EOI, segment past the end), `malformed`
 */
export const walkJpeg = (buf: Buffer): TJpegPiece[] => {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== SOI) {
    throw new JpegFormatError("not-jpeg", "Not a JPEG: the file does not start with an SOI marker (FFD8)");
  }
  const pieces: TJpegPiece[] = [{ kind: "marker", marker: SOI, start: 0, end: 2 }];
  let pos = 2;
  for (;;) {
    if (pos + 1 >= buf.length) {
      throw new JpegFormatError("truncated", "JPEG is truncated: no EOI marker");
    }
    if (buf[pos] !== 0xff) {
      throw new JpegFormatError("malformed", `JPEG is malformed: expected a marker at byte ${pos}`);
    }
    const marker = buf[pos + 1] as number;
    if (marker === 0xff) {
      pos += 1; // fill bytes may precede any marker (T.81 B.1.1.2)
      continue;
    }
    if (marker === EOI || marker === TEM || isRst(marker)) {
      pieces.push({ kind: "marker", marker, start: pos, end: pos + 2 });
      if (marker === EOI) {
        return pieces;
      }
      pos += 2;
      continue;
    }
    if (marker === 0x00 || marker === SOI) {
      throw new JpegFormatError("malformed", `JPEG is malformed: unexpected marker FF${marker.toString(16)}`);
    }
    if (pos + 4 > buf.length) {
      throw new JpegFormatError("truncated", "JPEG is truncated inside a segment header");
    }
    const length = buf.readUInt16BE(pos + 2); // includes its own two bytes (T.81 B.1.1.4)
    const end = pos + 2 + length;
    if (length < 2) {
      throw new JpegFormatError("malformed", `JPEG is malformed: segment FF${marker.toString(16)} length ${length}`);
    }
    if (end > buf.length) {
      throw new JpegFormatError("truncated", `JPEG is truncated: segment FF${marker.toString(16)} runs past the end`);
    }
    pieces.push({ kind: "segment", marker, start: pos, end });
    pos = end;
    if (marker === SOS) {
      const scanEnd = findEntropyEnd(buf, pos);
      pieces.push({ kind: "entropy", start: pos, end: scanEnd });
      pos = scanEnd;
    }
  }
};
