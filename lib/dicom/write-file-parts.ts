/**
 * What every DICOM file writer here shares: write a list of buffers completely (writev may write less than asked),
 * publish a finished temporary file atomically (rename over the final path, then fsync the directory so the rename
 * itself survives a crash), and both at once for a file held in memory, hashed while it is written.
 */
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
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

/**
 * Write `buffers` to `outPath` durably and atomically, with their SHA-256: a `.tmp` sibling opened with O_DSYNC
 * (each write returns once its data are on stable storage, like write + fdatasync, POSIX open(2)); the write runs on
 * libuv's thread pool while this thread hashes the same (read-only) buffers; then publishFile.
 * @param outPath - final path
 * @param buffers - the file's bytes, in order
 * @returns size and hex SHA-256
 */
export const writeHashedFile = async (outPath: string, buffers: Buffer[]): Promise<{ size: number; sha256: string }> => {
  const tmpPath = `${outPath}.tmp`;
  const fh = await open(tmpPath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DSYNC, 0o644);
  const hash = createHash("sha256");
  let size = 0;
  try {
    const durable = writeAll(fh, buffers);
    for (const b of buffers) {
      hash.update(b);
      size += b.length;
    }
    await durable;
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmpPath).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await publishFile(tmpPath, outPath);

  return { size, sha256: hash.digest("hex") };
};
