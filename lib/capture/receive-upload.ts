/**
 * Stream a multipart/form-data request to disk: each file part goes to DATA_DIR/tmp with its SHA-256 computed
 * on the way, never held whole in memory. Fields come back as strings.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import busboy from "busboy";
import { AppError } from "../errors";

export type TUploadedFile = { field: string; originalName: string; mimeType: string; tempPath: string; size: number; sha256: string };
export type TUpload = { fields: Record<string, string>; files: TUploadedFile[]; cleanup: () => void };

const MAX_FILES = 50;

/**
 * Receive the upload.
 * @param request - a multipart/form-data request
 * @param opts - tmpDir for file parts; maxFileBytes per file
 */
export const receiveUpload = async (request: Request, opts: { tmpDir: string; maxFileBytes: number }): Promise<TUpload> => {
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.startsWith("multipart/form-data") || !request.body) {
    throw new AppError("unsupported_media", "send the capture as multipart/form-data");
  }
  fs.mkdirSync(opts.tmpDir, { recursive: true });
  const fields: Record<string, string> = {};
  const files: TUploadedFile[] = [];
  const writes: Promise<void>[] = [];
  const cleanup = (): void => files.forEach((f) => fs.rmSync(f.tempPath, { force: true }));
  const bb = busboy({
    headers: { "content-type": contentType },
    limits: { files: MAX_FILES, fileSize: opts.maxFileBytes, fields: 50, fieldSize: 64 * 1024 },
  });
  bb.on("field", (name, value) => {
    fields[name] = value;
  });
  bb.on("file", (field, stream, info) => {
    const tempPath = path.join(opts.tmpDir, `upload-${crypto.randomUUID()}`);
    const entry: TUploadedFile = { field, originalName: info.filename ?? "", mimeType: info.mimeType, tempPath, size: 0, sha256: "" };
    files.push(entry);
    const hash = crypto.createHash("sha256");
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        entry.size += chunk.length;
        cb(null, chunk);
      },
    });
    let truncated = false;
    stream.on("limit", () => {
      truncated = true;
    });
    writes.push(
      pipeline(stream, meter, fs.createWriteStream(tempPath)).then(() => {
        entry.sha256 = hash.digest("hex");
        if (truncated) {
          throw new AppError("too_large", `${entry.originalName || "file"}: larger than the ${opts.maxFileBytes} byte limit`);
        }
      }),
    );
  });
  bb.on("filesLimit", () => {
    writes.push(Promise.reject(new AppError("bad_request", `at most ${MAX_FILES} files per capture`)));
  });
  try {
    await pipeline(Readable.fromWeb(request.body as import("node:stream/web").ReadableStream), bb);
    await Promise.all(writes);
  } catch (error) {
    await Promise.allSettled(writes);
    cleanup();
    if (error instanceof AppError) {
      throw error;
    }
    throw new AppError("bad_request", `could not read the upload: ${(error as Error).message}`);
  }

  return { fields, files, cleanup };
};
