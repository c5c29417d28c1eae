/**
 * Finished resumable uploads (upload-server.ts) → the files a capture is made of. Each must belong to the caller
 * and be complete; its SHA-256 is computed here, once, as the upload's bytes are read. After the capture is
 * recorded (or refused) the caller removes the uploads (`release`).
 */
import path from "node:path";
import type { TSessionUser } from "../auth/roles";
import { AppError } from "../errors";
import type { TUploadedFile } from "./receive-upload";
import { getUploads, UPLOAD_OWNER_KEY } from "./upload-server";
import { sha256File } from "../sha256-file";

/**
 * @param user - the caller (must own every upload)
 * @param ids - upload ids (the last path segment of each upload URL)
 * @returns the files, and `release` to delete the uploads afterwards
 * @throws AppError 400 for an unknown, unfinished or foreign upload (naming it)
 */
export const resolveUploads = async (
  user: TSessionUser,
  ids: string[],
): Promise<{ files: TUploadedFile[]; release: () => Promise<void> }> => {
  const { store, directory } = getUploads();
  const files: TUploadedFile[] = [];
  for (const id of ids) {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) {
      throw new AppError("bad_request", `upload ${id.slice(0, 40)}: not an upload id`);
    }
    const upload = await store.getUpload(id).catch(() => undefined);
    if (!upload || upload.metadata?.[UPLOAD_OWNER_KEY] !== user.id) {
      throw new AppError("bad_request", `upload ${id}: no such upload of yours (expired after 24 h, or never finished)`);
    }
    const name = upload.metadata?.filename ?? id;
    if (upload.size === undefined || upload.offset !== upload.size) {
      throw new AppError("bad_request", `${name}: upload not finished (${upload.offset} of ${upload.size ?? "?"} bytes); resume it first`);
    }
    const tempPath = path.join(directory, id);
    files.push({
      field: "upload",
      originalName: name,
      mimeType: upload.metadata?.filetype ?? "application/octet-stream",
      tempPath,
      size: upload.size,
      sha256: await sha256File(tempPath),
    });
  }

  return {
    files,
    release: async () => {
      await Promise.all(ids.map((id) => store.remove(id).catch(() => undefined)));
    },
  };
};
