/**
 * Where the data set of a DICOM Part 10 file starts, and what its File Meta Information says (PS3.10 §7.1):
 * 128-byte preamble, "DICM", then group 0002 in Explicit VR Little Endian. C-STORE sends the bytes after group
 * 0002 unchanged, in the transfer syntax (0002,0010) names. Only the header is read, never the whole file.
 */
import { open } from "node:fs/promises";
import { DimseError } from "./dimse-status";

export type TPart10Header = {
  /** Byte offset of the first element after group 0002. */
  datasetOffset: number;
  /** Total file size in bytes. */
  size: number;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
};

/** File Meta Information is a few hundred bytes; more than this is not a file we wrote or imported. */
const MAX_META_BYTES = 64 * 1024;
/** Explicit VR with a 2-byte reserved field and a 4-byte length (PS3.5 §7.1.2). */
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);

const invalid = (file: string, why: string): DimseError =>
  new DimseError("invalid-file", "permanent", `${file} is not a usable DICOM Part 10 file: ${why}`);

/**
 * Parses the File Meta Information of a Part 10 buffer (the first bytes of a file).
 * @param head - at least the preamble, "DICM" and group 0002
 * @param size - file size (for the result)
 * @param name - how to name the file in errors
 * @throws DimseError `invalid-file` (permanent)
 */
export const parsePart10Header = (head: Buffer, size: number, name = "file"): TPart10Header => {
  if (head.length < 132 || head.toString("latin1", 128, 132) !== "DICM") {
    throw invalid(name, 'no "DICM" after the 128-byte preamble');
  }
  const values = new Map<number, string>();
  let at = 132;
  for (;;) {
    if (at + 8 > head.length) {
      if (head.length === size) {
        break;
      }
      throw invalid(name, `File Meta Information longer than ${MAX_META_BYTES} bytes or truncated`);
    }
    const group = head.readUInt16LE(at);
    if (group !== 0x0002) {
      break;
    }
    const element = head.readUInt16LE(at + 2);
    const vr = head.toString("latin1", at + 4, at + 6);
    const long = LONG_VRS.has(vr);
    const length = long ? head.readUInt32LE(at + 8) : head.readUInt16LE(at + 6);
    const valueAt = at + (long ? 12 : 8);
    if (valueAt + length > head.length) {
      throw invalid(name, `element (0002,${element.toString(16).padStart(4, "0")}) runs past the header`);
    }
    if (vr === "UI") {
      values.set(element, head.toString("latin1", valueAt, valueAt + length).replace(/[\0 ]+$/, ""));
    }
    at = valueAt + length;
  }
  const sopClassUid = values.get(0x0002);
  const sopInstanceUid = values.get(0x0003);
  const transferSyntaxUid = values.get(0x0010);
  if (!sopClassUid || !sopInstanceUid || !transferSyntaxUid) {
    throw invalid(name, "File Meta Information lacks Media Storage SOP Class/Instance UID or Transfer Syntax UID");
  }

  return { datasetOffset: at, size, sopClassUid, sopInstanceUid, transferSyntaxUid };
};

/** An open Part 10 file: its header, and its data set read on demand (the first bytes come from the header read). */
export type TPart10Reader = {
  header: TPart10Header;
  /** Copies `length` bytes of the data set, from `datasetPosition` on, into `target` at `targetOffset`. */
  fill: (target: Buffer, targetOffset: number, length: number, datasetPosition: number) => Promise<void>;
  close: () => Promise<void>;
};

/**
 * Bytes read at a time while sending: a small file (most photos) comes in with the header read, a large one in
 * reads of this size, each then cut into many PDUs (one read per PDU would cost a thread-pool round trip per 16 KiB).
 */
const READ_WINDOW_BYTES = 1024 * 1024;

/**
 * Opens a Part 10 file for sending: one read brings the header and, for a file up to READ_WINDOW_BYTES, the whole
 * data set; a larger one is read sequentially in windows of that size.
 * @param filePath - the file
 * @throws DimseError `invalid-file` (permanent); fs errors as they are
 */
export const openPart10 = async (filePath: string): Promise<TPart10Reader> => {
  const fh = await open(filePath, "r");
  try {
    const { size } = await fh.stat();
    const head = Buffer.allocUnsafe(Math.min(size, READ_WINDOW_BYTES));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const header = parsePart10Header(head.subarray(0, Math.min(bytesRead, MAX_META_BYTES)), size, filePath);
    /** The bytes of the file at [windowStart, windowStart + windowLength) are in `window`. */
    let window = head;
    let windowStart = 0;
    let windowLength = bytesRead;
    const fill = async (target: Buffer, targetOffset: number, length: number, datasetPosition: number): Promise<void> => {
      let position = header.datasetOffset + datasetPosition;
      let done = 0;
      while (done < length) {
        if (position >= windowStart && position < windowStart + windowLength) {
          const n = Math.min(length - done, windowStart + windowLength - position);
          window.copy(target, targetOffset + done, position - windowStart, position - windowStart + n);
          done += n;
          position += n;
          continue;
        }
        if (window.length < READ_WINDOW_BYTES) {
          window = Buffer.allocUnsafe(READ_WINDOW_BYTES);
        }
        const r = await fh.read(window, 0, Math.min(READ_WINDOW_BYTES, Math.max(0, size - position)), position);
        if (r.bytesRead === 0) {
          throw new DimseError("invalid-file", "permanent", `${filePath} became shorter while it was being sent`);
        }
        windowStart = position;
        windowLength = r.bytesRead;
      }
    };

    return { header, fill, close: () => fh.close() };
  } catch (err) {
    await fh.close();
    throw err;
  }
};

/**
 * Close a reader that was opened ahead and will not be used (its file is not sent after all); a failure to open or
 * to close it is of no interest then.
 * @param opened - an `openPart10` call already started, or undefined
 */
export const discardOpened = (opened: Promise<TPart10Reader> | undefined): void => {
  void opened?.then((r) => r.close()).catch(() => undefined);
};

/**
 * Reads only the header of a Part 10 file.
 * @param filePath - the file
 * @throws DimseError `invalid-file` (permanent); fs errors (missing file) as they are
 */
export const readPart10Header = async (filePath: string): Promise<TPart10Header> => {
  const fh = await open(filePath, "r");
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, MAX_META_BYTES));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);

    return parsePart10Header(head.subarray(0, bytesRead), size, filePath);
  } finally {
    await fh.close();
  }
};
