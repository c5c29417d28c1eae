/**
 * Reads the structure of a DICOM Part 10 file without reading its Pixel Data: File Meta Information (PS3.10 §7.1),
 * every top-level element before Pixel Data (7FE0,0010) as raw bytes, the extent of the Pixel Data element, and the
 * raw bytes of any element after it.
 *
 * Design: a small walker of the Little Endian encodings (PS3.5 §7.1.2 explicit VR, §7.1.3 implicit VR, §7.5 items
 * and delimiters). It only needs element boundaries, never a data dictionary: an element of undefined length is a
 * sequence (or UN / encapsulated Pixel Data) and is walked item by item. The header region is read into memory
 * (growing as needed, capped); the Pixel Data value is never read: for encapsulated Pixel Data only the 8-byte item
 * headers are read with positional reads, so a multi-frame file of hundreds of MB costs a few KB of I/O here.
 */
import { open, type FileHandle } from "node:fs/promises";
import { DicomImportError } from "@/lib/dicom/dicom-import-errors";

/** One element as found in the file; `tag` is (group << 16 | element) as an unsigned number. */
export type TRawElement = {
  tag: number;
  /** Explicit VR as written, or null in implicit VR. */
  vr: string | null;
  /** Absolute offset of the element's first byte. */
  offset: number;
  /** Header bytes (tag, VR, length). */
  headerLength: number;
  /** Value length as encoded; null for undefined length (0xFFFFFFFF). */
  valueLength: number | null;
  /** The whole element, header and value (and delimiters), exactly as in the file. */
  bytes: Buffer;
};

/** Where the Pixel Data element lies in the file. */
export type TPixelDataExtent = {
  /** Offset of the element header. */
  offset: number;
  /** Offset just after the element (after the Sequence Delimitation Item when encapsulated). */
  end: number;
  encapsulated: boolean;
  /** Items of encapsulated Pixel Data, Basic Offset Table included; 0 for native. */
  items: number;
};

export type TDicomFile = {
  fileSize: number;
  /** File Meta Information elements (group 0002), explicit VR little endian. */
  meta: TRawElement[];
  transferSyntaxUid: string;
  explicitVr: boolean;
  /** Top-level dataset elements before Pixel Data, in file order. */
  elements: TRawElement[];
  pixelData: TPixelDataExtent | null;
  /** Top-level elements after Pixel Data (rare: padding, signatures, private groups). */
  trailing: TRawElement[];
};

const PIXEL_DATA = 0x7fe00010;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const UNDEFINED = 0xffffffff;
const PREAMBLE = 128;
/** VRs with 2 reserved bytes and a 32-bit length in explicit VR (PS3.5 Table 7.1-1). */
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);
/** Implicit VR Little Endian, the only implicit transfer syntax (PS3.5 §A.1). */
export const IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";
/**
 * Transfer syntaxes refused before the dataset is walked: the walker reads little endian, unwrapped datasets only,
 * and a copy of JPIP-referenced Pixel Data would hold no pixels (PS3.5 §A.3, §A.5, §A.6).
 */
export const REFUSED_TRANSFER_SYNTAXES: ReadonlyMap<string, string> = new Map([
  [
    "1.2.840.10008.1.2.1.99",
    "Deflated Explicit VR Little Endian: the whole dataset is zlib-compressed, so Pixel Data cannot be copied " +
      "verbatim; export uncompressed or JPEG from the device",
  ],
  ["1.2.840.10008.1.2.2", "Explicit VR Big Endian (retired)"],
  ["1.2.840.10008.1.2.4.94", "JPIP Referenced: the pixels are not in the file"],
  ["1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate: the pixels are not in the file"],
]);

/** Headers larger than this are refused rather than read into memory. */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;
const FIRST_READ = 256 * 1024;

const hex = (tag: number): string =>
  `(${(tag >>> 16).toString(16).padStart(4, "0")},${(tag & 0xffff).toString(16).padStart(4, "0")})`.toUpperCase();

/** A growing in-memory copy of the file's first bytes, read on demand. */
class Prefix {
  buf = Buffer.alloc(0);
  constructor(
    readonly fh: FileHandle,
    readonly size: number,
  ) {}

  /** Makes bytes [0, end) available; throws `truncated` past the end of the file. */
  async ensure(end: number, what: string): Promise<void> {
    if (end <= this.buf.length) {
      return;
    }
    if (end > this.size) {
      throw new DicomImportError("truncated", `File ends inside ${what} (needs ${end} bytes, has ${this.size})`);
    }
    if (end > MAX_HEADER_BYTES) {
      throw new DicomImportError("malformed", `Header before Pixel Data is larger than ${MAX_HEADER_BYTES} bytes`);
    }
    const want = Math.min(this.size, Math.max(end, Math.min(this.buf.length * 2, MAX_HEADER_BYTES), FIRST_READ));
    const next = Buffer.alloc(want);
    this.buf.copy(next);
    const { bytesRead } = await this.fh.read(next, this.buf.length, want - this.buf.length, this.buf.length);
    if (bytesRead !== want - this.buf.length) {
      throw new DicomImportError("truncated", "File shrank while it was being read");
    }
    this.buf = next;
  }
}

type THeader = { tag: number; vr: string | null; headerLength: number; valueLength: number | null };

/** Decodes the element header at `pos` (PS3.5 §7.1.2 / §7.1.3; items and delimiters have no VR, §7.5). */
const readHeader = async (p: Prefix, pos: number, explicit: boolean): Promise<THeader> => {
  await p.ensure(pos + 8, "an element header");
  const b = p.buf;
  const tag = ((b.readUInt16LE(pos) << 16) | b.readUInt16LE(pos + 2)) >>> 0;
  if (tag >>> 16 === 0xfffe || !explicit) {
    const len = b.readUInt32LE(pos + 4);
    return { tag, vr: null, headerLength: 8, valueLength: len === UNDEFINED ? null : len };
  }
  const vr = b.toString("latin1", pos + 4, pos + 6);
  if (!/^[A-Z]{2}$/.test(vr)) {
    throw new DicomImportError("malformed", `Element ${hex(tag)} at offset ${pos} has no valid explicit VR`);
  }
  if (LONG_VRS.has(vr)) {
    await p.ensure(pos + 12, "an element header");
    const len = p.buf.readUInt32LE(pos + 8);
    return { tag, vr, headerLength: 12, valueLength: len === UNDEFINED ? null : len };
  }
  return { tag, vr, headerLength: 8, valueLength: b.readUInt16LE(pos + 6) };
};

/**
 * Offset just after the element whose header `h` starts at `pos`. Undefined length means a sequence of items ended
 * by a Sequence Delimitation Item; an item of undefined length holds elements ended by an Item Delimitation Item.
 * Contents of UN with undefined length are implicit VR (PS3.5 §6.2.2).
 */
const elementEnd = async (p: Prefix, pos: number, h: THeader, explicit: boolean): Promise<number> => {
  const start = pos + h.headerLength;
  if (h.valueLength !== null) {
    await p.ensure(start + h.valueLength, `element ${hex(h.tag)}`);
    return start + h.valueLength;
  }
  const inner = explicit && h.vr !== "UN";
  let at = start;
  for (;;) {
    const item = await readHeader(p, at, inner);
    if (item.tag === SEQUENCE_DELIMITATION) {
      return at + 8;
    }
    if (item.tag !== ITEM) {
      throw new DicomImportError("malformed", `Sequence ${hex(h.tag)} holds ${hex(item.tag)} where an item belongs`);
    }
    at += 8;
    if (item.valueLength !== null) {
      await p.ensure(at + item.valueLength, `an item of ${hex(h.tag)}`);
      at += item.valueLength;
      continue;
    }
    for (;;) {
      const e = await readHeader(p, at, inner);
      if (e.tag === ITEM_DELIMITATION) {
        at += 8;
        break;
      }
      at = await elementEnd(p, at, e, inner);
    }
  }
};

/** Reads 8 bytes at `pos` without the prefix buffer (Pixel Data items). */
const readItemHeader = async (fh: FileHandle, pos: number, size: number): Promise<{ tag: number; length: number }> => {
  if (pos + 8 > size) {
    throw new DicomImportError("truncated", "File ends inside the encapsulated Pixel Data");
  }
  const b = Buffer.alloc(8);
  await fh.read(b, 0, 8, pos);
  return { tag: ((b.readUInt16LE(0) << 16) | b.readUInt16LE(2)) >>> 0, length: b.readUInt32LE(4) };
};

/** Walks encapsulated Pixel Data (PS3.5 §A.4): items, then the Sequence Delimitation Item. */
const encapsulatedEnd = async (
  fh: FileHandle,
  start: number,
  size: number,
): Promise<{ end: number; items: number }> => {
  let pos = start;
  let items = 0;
  for (;;) {
    const { tag, length } = await readItemHeader(fh, pos, size);
    if (tag === SEQUENCE_DELIMITATION) {
      return { end: pos + 8, items };
    }
    if (tag !== ITEM || length === UNDEFINED) {
      throw new DicomImportError("malformed", `Encapsulated Pixel Data holds ${hex(tag)} where an item belongs`);
    }
    pos += 8 + length;
    items += 1;
    if (pos > size) {
      throw new DicomImportError("truncated", `File ends inside fragment ${items} of the encapsulated Pixel Data`);
    }
  }
};

const readMeta = async (p: Prefix): Promise<{ meta: TRawElement[]; end: number; transferSyntaxUid: string }> => {
  if (p.size < PREAMBLE + 4) {
    throw new DicomImportError("not-dicom", "File is too short to be a DICOM Part 10 file");
  }
  await p.ensure(PREAMBLE + 4, "the preamble");
  if (p.buf.toString("latin1", PREAMBLE, PREAMBLE + 4) !== "DICM") {
    throw new DicomImportError("not-dicom", 'File is not a DICOM Part 10 file (no "DICM" after the 128-byte preamble)');
  }
  const meta: TRawElement[] = [];
  let pos = PREAMBLE + 4;
  while (pos < p.size) {
    await p.ensure(pos + 2, "the File Meta Information");
    if (p.buf.readUInt16LE(pos) !== 0x0002) {
      break;
    }
    const h = await readHeader(p, pos, true);
    if (h.valueLength === null) {
      throw new DicomImportError("not-dicom", `File Meta element ${hex(h.tag)} has undefined length`);
    }
    const end = await elementEnd(p, pos, h, true);
    meta.push({ ...h, offset: pos, bytes: p.buf.subarray(pos, end) });
    pos = end;
  }
  const ts = meta.find((e) => e.tag === 0x00020010);
  if (!ts) {
    throw new DicomImportError("not-dicom", "File Meta Information has no Transfer Syntax UID (0002,0010)");
  }
  return { meta, end: pos, transferSyntaxUid: textOf(ts) };
};

/**
 * The value of a string element as text: bytes decoded as latin1 (a superset of the default repertoire; callers
 * that need another character set decode `valueOf` themselves), trailing NUL and spaces removed.
 */
export const textOf = (e: TRawElement): string =>
  valueOf(e)
    .toString("latin1")
    .replace(/[\0 ]+$/, "");

/** The value bytes of an element (without header); for undefined length, everything up to the delimiter. */
export const valueOf = (e: TRawElement): Buffer => e.bytes.subarray(e.headerLength);

/** A US (unsigned short) value, or null when absent or empty. */
export const uint16Of = (e: TRawElement | undefined): number | null =>
  e && e.bytes.length >= e.headerLength + 2 ? e.bytes.readUInt16LE(e.headerLength) : null;

/**
 * Reads the structure of a DICOM Part 10 file (see the module comment).
 * @param path - the file
 * @returns meta and dataset elements before Pixel Data (raw bytes), the Pixel Data extent, trailing elements
 * @throws DicomImportError `not-dicom`, `truncated` or `malformed`
 */
export const readDicomFile = async (path: string): Promise<TDicomFile> => {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const p = new Prefix(fh, size);
    const { meta, end: metaEnd, transferSyntaxUid } = await readMeta(p);
    const refused = REFUSED_TRANSFER_SYNTAXES.get(transferSyntaxUid);
    if (refused) {
      throw new DicomImportError(
        "unsupported-transfer-syntax",
        `Transfer Syntax ${transferSyntaxUid} is not accepted: ${refused}`,
      );
    }
    const explicitVr = transferSyntaxUid !== IMPLICIT_VR_LITTLE_ENDIAN;
    const elements: TRawElement[] = [];
    let pos = metaEnd;
    let pixelData: TPixelDataExtent | null = null;
    while (pos < size) {
      const h = await readHeader(p, pos, explicitVr);
      if (h.tag === PIXEL_DATA) {
        pixelData = await pixelDataExtent(fh, pos, h, size);
        pos = pixelData.end;
        break;
      }
      if (h.tag >>> 16 === 0x0002 || h.tag >>> 16 === 0xfffe) {
        throw new DicomImportError("malformed", `Element ${hex(h.tag)} at offset ${pos} is not allowed in a dataset`);
      }
      const end = await elementEnd(p, pos, h, explicitVr);
      elements.push({ ...h, offset: pos, bytes: p.buf.subarray(pos, end) });
      pos = end;
    }
    const trailing = pixelData ? await readTrailing(fh, pos, size, explicitVr) : [];
    return { fileSize: size, meta, transferSyntaxUid, explicitVr, elements, pixelData, trailing };
  } finally {
    await fh.close();
  }
};

const pixelDataExtent = async (fh: FileHandle, pos: number, h: THeader, size: number): Promise<TPixelDataExtent> => {
  const start = pos + h.headerLength;
  if (h.valueLength !== null) {
    if (start + h.valueLength > size) {
      throw new DicomImportError(
        "truncated",
        `File ends inside Pixel Data: it declares ${h.valueLength} bytes, ${Math.max(0, size - start)} are present`,
      );
    }
    return { offset: pos, end: start + h.valueLength, encapsulated: false, items: 0 };
  }
  const { end, items } = await encapsulatedEnd(fh, start, size);
  return { offset: pos, end, encapsulated: true, items };
};

/** Elements after Pixel Data, read into memory (they are small in practice; the same cap applies). */
const readTrailing = async (fh: FileHandle, from: number, size: number, explicit: boolean): Promise<TRawElement[]> => {
  if (from >= size) {
    return [];
  }
  if (size - from > MAX_HEADER_BYTES) {
    throw new DicomImportError("malformed", `More than ${MAX_HEADER_BYTES} bytes follow Pixel Data`);
  }
  const buf = Buffer.alloc(size - from);
  await fh.read(buf, 0, buf.length, from);
  // A Prefix over the tail: offsets are relative to `from`.
  const tail = new Prefix(fh, buf.length);
  tail.buf = buf;
  const out: TRawElement[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const h = await readHeader(tail, pos, explicit);
    const end = await elementEnd(tail, pos, h, explicit);
    out.push({ ...h, offset: from + pos, bytes: buf.subarray(pos, end) });
    pos = end;
  }
  return out;
};
