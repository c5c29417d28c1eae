/**
 * Resumable uploads (tus 1.0, https://tus.io/protocols/resumable-upload) at /api/v1/uploads, for videos of several
 * GB from a tablet: a dropped connection continues from the offset the server has (HEAD, then PATCH from there).
 * Files land in DATA_DIR/uploads (streamed, never held in memory); a capture then names the finished uploads
 * (POST /api/v1/captures with JSON, resolve-uploads.ts). Each upload belongs to the user who created it: the route
 * passes the authenticated user id in a header it sets itself (any client value is dropped), recorded in the
 * upload's metadata on creation and checked on every later request. Unfinished uploads expire after 24 h.
 */
import path from "node:path";
import { FileStore } from "@tus/file-store";
import { MemoryLocker, Server } from "@tus/server";
import { getEnv } from "../env";

/** Header carrying the authenticated user id from the route to the tus hooks (set by the route only). */
export const UPLOAD_USER_HEADER = "x-ec-upload-user";
/** Metadata key holding the owner's user id. */
export const UPLOAD_OWNER_KEY = "ecOwner";

type TUploads = { server: Server; store: FileStore; directory: string };
let uploads: TUploads | undefined;

const forbidden = (message: string) => ({ status_code: 403, body: `${message}\n` });

/** The tus server and its file store (one per process; several web processes share DATA_DIR/uploads). */
export const getUploads = (): TUploads => {
  if (uploads) {
    return uploads;
  }
  const env = getEnv();
  const directory = path.join(env.dataDir, "uploads");
  const store = new FileStore({ directory, expirationPeriodInMilliseconds: 24 * 60 * 60 * 1000 });
  const server = new Server({
    path: "/api/v1/uploads",
    datastore: store,
    locker: new MemoryLocker(),
    maxSize: env.maxUploadBytes,
    relativeLocation: true,
    onUploadCreate: async (req, upload) => {
      const owner = req.headers.get(UPLOAD_USER_HEADER);
      if (!owner) {
        throw forbidden("sign in required");
      }

      return { metadata: { ...upload.metadata, [UPLOAD_OWNER_KEY]: owner } };
    },
    onIncomingRequest: async (req, uploadId) => {
      if (req.method === "POST" || req.method === "OPTIONS") {
        return;
      }
      const upload = await store.getUpload(uploadId).catch(() => undefined);
      if (upload && upload.metadata?.[UPLOAD_OWNER_KEY] !== req.headers.get(UPLOAD_USER_HEADER)) {
        throw forbidden("this upload belongs to another user");
      }
    },
  });
  uploads = { server, store, directory };

  return uploads;
};
