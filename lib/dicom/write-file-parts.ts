/**
 * The two steps every DICOM file writer here shares: write a list of buffers completely (writev may write less than
 * asked), and publish a finished temporary file atomically (rename over the final path, then fsync the directory so
 * the rename itself survives a crash).
 */
import { open, rename, type FileHandle } from "node:fs/promises";
import path from "node:path";

/**
 * Write every byte of `buffers`, in order, at the handle's position.
 * @param fh - an open file handle
 * @param buffers - the parts (empty ones are skipped)
 */
export const writeAll = async (fh: FileHandle, buffers: Buffer[]): Promise<void> => {
  let rest = buffers.filter((b) => b.length > 0);
  while (rest.length > 0) {
    let { bytesWritten } = await fh.writev(rest);
    while (rest.length > 0 && bytesWritten >= (rest[0] as Buffer).length) {
      bytesWritten -= (rest[0] as Buffer).length;
      rest = rest.slice(1);
    }
    if (rest.length > 0 && bytesWritten > 0) {
      rest = [(rest[0] as Buffer).subarray(bytesWritten), ...rest.slice(1)];
    }
  }
};

const fsyncDirectory = async (dir: string): Promise<void> => {
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
};

/**
 * Rename the finished (already synced) temporary file over the final path and make the rename durable.
 * @param tmpPath - the temporary file
 * @param outPath - the final path
 */
export const publishFile = async (tmpPath: string, outPath: string): Promise<void> => {
  await rename(tmpPath, outPath);
  await fsyncDirectory(path.dirname(outPath));
};
