import crypto from "node:crypto";
import { open } from "node:fs/promises";

/** Largest read: a photo is hashed in one read, a video in reads of this size (never held whole in memory). */
const CHUNK_BYTES = 1024 * 1024;

/**
 * SHA-256 (hex) of a file, read in chunks into one buffer sized to the file (at most 1 MiB). A read stream with a
 * 1 MiB high-water mark would allocate 1 MiB per read and copy every short read into a new buffer: for the forwarder,
 * which hashes every file before sending it, that was most of its per-photo CPU.
 * @param file - path of the file
 */
export const sha256File = async (file: string): Promise<string> => {
  const hash = crypto.createHash("sha256");
  const fh = await open(file, "r");
  try {
    const { size } = await fh.stat();
    // At least one byte (size + 1): a zero-length read of an empty file would end the loop without reaching its end.
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size + 1));
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) {
        break;
      }
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }

  return hash.digest("hex");
};
