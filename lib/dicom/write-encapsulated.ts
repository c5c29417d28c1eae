/**
 * Writes a DICOM file whose Pixel Data is one encapsulated JPEG, fast: dcmjs serializes the File Meta and the
 * dataset without Pixel Data, and the encapsulated Pixel Data element is appended by hand (a generic dcmjs write of
 * a multi-megabyte fragment costs several times a file copy).
 *
 * Encapsulation (PS3.5 §A.4): (7FE0,0010) OB with undefined length, a Basic Offset Table item with zero length
 * (allowed for a single frame, §A.4 Table A.4-1), one fragment item holding the whole JPEG padded to even length
 * with 0x00 (items have even length, PS3.5 §7.5 and §A.4), then the Sequence Delimitation Item (FFFE,E0DD).
 * Pixel Data is the last element because (7FE0,0010) sorts after every tag we write (PS3.5 §7.1: ascending order).
 *
 * The file is written to `outPath + ".tmp"` with O_DSYNC (durable when the write returns, like write + fdatasync),
 * renamed over `outPath` and the directory fsync'ed, so a crash leaves either no file or the complete file under
 * `outPath`. SHA-256 is computed over the buffers being written, while the write runs, not by reading back.
 *
 * The fragment may also be a file of known length (a video of hundreds of MB): it is streamed in 1 MiB chunks, each
 * hashed and written in turn, so memory stays flat whatever the size; the file is then fdatasync'ed once (O_DSYNC
 * on every chunk would only add latency) before the same rename and directory fsync.
 */
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { open, stat, unlink, type FileHandle } from "node:fs/promises";
import dcmjs, { type TNaturalDataset } from "dcmjs";
import { publishFile, writeAll, writeHashedFile } from "@/lib/dicom/write-file-parts";

const { DicomDict, DicomMetaDictionary } = dcmjs.data;

const PIXEL_DATA_TAG = "7FE00010";
const UNDEFINED_LENGTH = 0xffffffff;

/** Tag (gggg,eeee) + 32-bit length, as written for items and delimiters (PS3.5 §7.5). */
const itemHeader = (element: number, length: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(0xfffe, 0);
  b.writeUInt16LE(element, 2);
  b.writeUInt32LE(length, 4);
  return b;
};

/** The Pixel Data element header (explicit VR OB, 2 reserved bytes, undefined length) + empty BOT + item header. */
const pixelDataPrefix = (fragmentLength: number): Buffer => {
  const element = Buffer.alloc(12);
  element.writeUInt16LE(0x7fe0, 0);
  element.writeUInt16LE(0x0010, 2);
  element.write("OB", 4, "latin1");
  element.writeUInt32LE(UNDEFINED_LENGTH, 8);
  return Buffer.concat([element, itemHeader(0xe000, 0), itemHeader(0xe000, fragmentLength)]);
};

/** A byte range of a file, streamed as part of a fragment. */
export type TFileRange = { path: string; start: number; length: number };
/** A fragment that comes from a file: its path and its exact length in bytes. */
export type TFileFragment = { path: string; length: number };
/** A fragment assembled from small buffers and byte ranges of files (e.g. a rebuilt MP4 index + the source's media). */
export type TPartsFragment = { parts: (Buffer | TFileRange)[] };

/** Chunk size of the streamed copy: large enough for few system calls, small enough to stay in the CPU cache. */
const COPY_CHUNK = 1024 * 1024;

/**
 * A large fragment is flushed to disk while it is still being copied (an fdatasync on the thread pool every this many
 * bytes, not awaited), so the disk writes overlap the copy instead of all waiting for the final fdatasync.
 */
const EARLY_FLUSH_BYTES = 32 * 1024 * 1024;

/** Reads exactly `length` bytes at `position` (or throws naming how many there were). */
const readFully = async (fh: FileHandle, buf: Buffer, length: number, position: number): Promise<Buffer> => {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new Error(`writeEncapsulatedFile: fragment file ends at ${position + done} bytes, expected ${position + length}`);
    }
    done += bytesRead;
  }
  return buf.subarray(0, length);
};

/**
 * Header, fragment parts (buffers as they are; file ranges in 1 MiB chunks, the next chunk read while the current one
 * is written and hashed), trailer; one fdatasync; atomic rename. Memory stays flat whatever the fragment's size.
 */
const writeStreamed = async (
  outPath: string,
  head: Buffer,
  parts: (Buffer | TFileRange)[],
  tail: Buffer,
): Promise<{ size: number; sha256: string }> => {
  const tmpPath = `${outPath}.tmp`;
  const fh = await open(tmpPath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
  const hash = createHash("sha256");
  const sources = new Map<string, FileHandle>();
  let size = 0;
  let syncedTo = 0;
  /** Flushes started while the copy goes on, so the final fdatasync has only the last stretch left to write. */
  const flushes: Promise<void>[] = [];
  const put = async (b: Buffer): Promise<void> => {
    const written = writeAll(fh, [b]);
    hash.update(b);
    size += b.length;
    await written;
    if (size - syncedTo >= EARLY_FLUSH_BYTES) {
      syncedTo = size;
      const flush = fh.datasync();
      flush.catch(() => undefined); // awaited below; until then a failure must not be an unhandled rejection
      flushes.push(flush);
    }
  };
  try {
    await put(head);
    const buffers = [Buffer.allocUnsafeSlow(COPY_CHUNK), Buffer.allocUnsafeSlow(COPY_CHUNK)] as const;
    for (const part of parts) {
      if (Buffer.isBuffer(part)) {
        await put(part);
        continue;
      }
      let src = sources.get(part.path);
      if (!src) {
        src = await open(part.path, "r");
        sources.set(part.path, src);
      }
      const end = part.start + part.length;
      let position = part.start;
      let k = 0;
      let next = readFully(src, buffers[0], Math.min(COPY_CHUNK, end - position), position);
      while (position < end) {
        const chunk = await next;
        position += chunk.length;
        k += 1;
        if (position < end) {
          next = readFully(src, buffers[k % 2] as Buffer, Math.min(COPY_CHUNK, end - position), position);
        }
        await put(chunk);
      }
    }
    await put(tail);
    await Promise.all(flushes);
    await fh.datasync();
  } catch (err) {
    await Promise.allSettled(flushes);
    await fh.close().catch(() => undefined);
    await unlink(tmpPath).catch(() => undefined);
    throw err;
  } finally {
    await Promise.all([...sources.values()].map((s) => s.close().catch(() => undefined)));
  }
  await fh.close();
  await publishFile(tmpPath, outPath);
  return { size, sha256: hash.digest("hex") };
};

/**
 * @param args.outPath - final path; a sibling `.tmp` file is used while writing
 * @param args.meta - naturalized File Meta Information (group 0002) without the group length
 * @param args.dataset - naturalized dataset without Pixel Data
 * @param args.fragment - the complete JPEG to encapsulate as one fragment, possibly as several slices (written with
 *   one writev, without concatenating them); or `{ path, length }`: a whole file streamed into the fragment; or
 *   `{ parts }`: buffers and file ranges streamed in order (e.g. a remuxed MP4)
 * @returns size of the file, the hex SHA-256 of its bytes, and the byte offset of the fragment's first byte in the
 *   file (so a reader can take the fragment without parsing DICOM, e.g. ffmpeg's `subfile` protocol)
 * @throws Error when a file fragment does not have the announced length
 */
export const writeEncapsulatedFile = async (args: {
  outPath: string;
  meta: TNaturalDataset;
  dataset: TNaturalDataset;
  fragment: Buffer[] | TFileFragment | TPartsFragment;
}): Promise<{ size: number; sha256: string; fragmentOffset: number }> => {
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(args.meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(args.dataset);
  if (PIXEL_DATA_TAG in dict.dict) {
    throw new Error("writeEncapsulatedFile: the dataset must not contain PixelData");
  }
  const fragment = args.fragment;
  let parts: (Buffer | TFileRange)[];
  if (Array.isArray(fragment)) {
    parts = fragment;
  } else if ("parts" in fragment) {
    parts = fragment.parts;
  } else {
    const { size } = await stat(fragment.path);
    if (size !== fragment.length) {
      throw new Error(`writeEncapsulatedFile: fragment file has ${size} bytes, expected ${fragment.length}`);
    }
    parts = [{ path: fragment.path, start: 0, length: fragment.length }];
  }
  const fragmentLength = parts.reduce((n, p) => n + p.length, 0);
  const padded = fragmentLength + (fragmentLength % 2);
  if (padded >= UNDEFINED_LENGTH) {
    throw new Error("writeEncapsulatedFile: fragment exceeds the 32-bit item length");
  }
  const head = Buffer.concat([Buffer.from(dict.write()), pixelDataPrefix(padded)]);
  const tail = Buffer.concat([Buffer.alloc(padded - fragmentLength), itemHeader(0xe0dd, 0)]);
  const result = parts.every((p) => Buffer.isBuffer(p))
    ? await writeHashedFile(args.outPath, [head, ...(parts as Buffer[]), tail])
    : await writeStreamed(args.outPath, head, parts, tail);
  return { ...result, fragmentOffset: head.length };
};
