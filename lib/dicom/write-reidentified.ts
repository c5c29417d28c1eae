/**
 * Writes a re-identified DICOM file: new header bytes, then the Pixel Data element (and anything after it) copied
 * byte for byte from the source file, never parsed or re-serialised.
 *
 * Also holds the small element encoder the header needs (PS3.5 §7.1.2 explicit VR, §7.1.3 implicit VR, §7.5
 * sequences with defined length), so new elements are written in the source's own encoding.
 *
 * Durability as in write-encapsulated.ts: the file is written to `outPath + ".tmp"`, fdatasync'ed, renamed over
 * `outPath`, and the directory fsync'ed, so a crash leaves either no file or the complete file. The copy is
 * double-buffered (the next chunk is read while the previous one is written) and hashed on the way; nothing is read
 * back. The source's bytes are checked to be all there (a file that shrank since it was parsed is refused).
 */
import { createHash, type Hash } from "node:crypto";
import { constants } from "node:fs";
import { open, unlink, type FileHandle } from "node:fs/promises";
import { DicomImportError } from "@/lib/dicom/dicom-import-errors";
import { publishFile, writeAll } from "@/lib/dicom/write-file-parts";

/** VRs with 2 reserved bytes and a 32-bit length in explicit VR (PS3.5 Table 7.1-1). */
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);
/** VRs padded with NUL rather than a space (PS3.5 §6.2: UI, and binary VRs). */
const NUL_PADDED = new Set(["UI", "OB", "UN"]);
const COPY_CHUNK = 4 * 1024 * 1024;

/**
 * Encodes one element.
 * @param tag - (group << 16 | element)
 * @param vr - the VR (written only in explicit VR)
 * @param value - value bytes; padded to even length with a space, or NUL for UI/OB/UN
 * @param explicit - explicit VR little endian, else implicit VR little endian
 * @throws Error when a short-form VR's value exceeds 65,534 bytes
 */
export const encodeElement = (tag: number, vr: string, value: Buffer, explicit: boolean): Buffer => {
  const padded =
    value.length % 2 === 0 ? value : Buffer.concat([value, Buffer.from([NUL_PADDED.has(vr) ? 0x00 : 0x20])]);
  const long = LONG_VRS.has(vr);
  const header = Buffer.alloc(explicit && long ? 12 : 8);
  header.writeUInt16LE(tag >>> 16, 0);
  header.writeUInt16LE(tag & 0xffff, 2);
  if (!explicit) {
    header.writeUInt32LE(padded.length, 4);
  } else if (long) {
    header.write(vr, 4, "latin1");
    header.writeUInt32LE(padded.length, 8);
  } else {
    if (padded.length > 0xfffe) {
      throw new Error(`value of ${vr} element is ${padded.length} bytes; at most 65534 fit`);
    }
    header.write(vr, 4, "latin1");
    header.writeUInt16LE(padded.length, 6);
  }
  return Buffer.concat([header, padded]);
};

/** A sequence (SQ) with defined length whose items hold the given, already encoded, elements. */
export const encodeSequence = (tag: number, items: Buffer[][], explicit: boolean): Buffer =>
  encodeElement(tag, "SQ", Buffer.concat(items.map(encodeItem)), explicit);

/** One item with defined length (FFFE,E000), its elements concatenated in the order given. */
export const encodeItem = (elements: Buffer[]): Buffer => {
  const body = Buffer.concat(elements);
  const header = Buffer.alloc(8);
  header.writeUInt16LE(0xfffe, 0);
  header.writeUInt16LE(0xe000, 2);
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
};

const readFully = async (fh: FileHandle, b: Buffer, length: number, position: number): Promise<number> => {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(b, got, length - got, position + got);
    if (bytesRead === 0) {
      break;
    }
    got += bytesRead;
  }
  return got;
};

/** Copies source bytes [from, to) to `out`, hashing them; the next chunk is read while the current one is written. */
const copyRange = async (src: FileHandle, out: FileHandle, from: number, to: number, hash: Hash): Promise<void> => {
  let [a, b] = [Buffer.allocUnsafe(COPY_CHUNK), Buffer.allocUnsafe(COPY_CHUNK)];
  let pos = from;
  let n = await readFully(src, a, Math.min(COPY_CHUNK, to - pos), pos);
  while (pos < to) {
    if (n === 0) {
      throw new DicomImportError("truncated", "Source file shrank while its Pixel Data was being copied");
    }
    const chunk = a.subarray(0, n);
    const written = writeAll(out, [chunk]);
    hash.update(chunk);
    pos += n;
    const next = pos < to ? readFully(src, b, Math.min(COPY_CHUNK, to - pos), pos) : Promise.resolve(0);
    const [, m] = await Promise.all([written, next]);
    [a, b] = [b, a];
    n = m;
  }
};

/**
 * @param args.outPath - final path; a sibling `.tmp` file is used while writing
 * @param args.head - preamble, File Meta Information and the dataset elements before Pixel Data, already encoded
 * @param args.sourcePath - the file whose bytes [copyFrom, copyTo) are copied verbatim after `head`
 * @param args.tail - encoded elements written after the copied range (may be empty)
 * @returns size of the file and the hex SHA-256 of its bytes
 * @throws DicomImportError `truncated` when the source no longer holds the range
 */
export const writeReidentifiedFile = async (args: {
  outPath: string;
  head: Buffer[];
  sourcePath: string;
  copyFrom: number;
  copyTo: number;
  tail: Buffer[];
}): Promise<{ size: number; sha256: string }> => {
  const tmpPath = `${args.outPath}.tmp`;
  const hash = createHash("sha256");
  const src = await open(args.sourcePath, "r");
  let out: FileHandle | undefined;
  try {
    out = await open(tmpPath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
    for (const b of [Buffer.concat(args.head)]) {
      hash.update(b);
      await writeAll(out, [b]);
    }
    await copyRange(src, out, args.copyFrom, args.copyTo, hash);
    const tail = Buffer.concat(args.tail);
    hash.update(tail);
    await writeAll(out, [tail]);
    await out.datasync();
    const { size } = await out.stat();
    await out.close();
    out = undefined;
    await publishFile(tmpPath, args.outPath);
    return { size, sha256: hash.digest("hex") };
  } catch (err) {
    await out?.close().catch(() => undefined);
    await unlink(tmpPath).catch(() => undefined);
    throw err;
  } finally {
    await src.close();
  }
};
