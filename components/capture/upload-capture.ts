import * as tus from "tus-js-client";
import type { TCapture } from "@/lib/capture/get-capture";

/** PATCH size: a proxy that buffers requests never holds more than this; a drop costs at most the part in flight. */
const CHUNK_BYTES = 32 * 1024 * 1024;

/**
 * Upload one file resumably (tus, /api/v1/uploads): if the connection drops, the client asks the server how much
 * arrived and continues from there, retrying for about a minute. Nothing is kept in the browser's storage.
 * Resolves with the upload id.
 */
const uploadFile = (file: File, onBytes: (sent: number) => void): Promise<string> =>
  new Promise((resolve, reject) => {
    const upload = new tus.Upload(file, {
      endpoint: "/api/v1/uploads",
      chunkSize: CHUNK_BYTES,
      retryDelays: [0, 1000, 3000, 5000, 10_000, 20_000, 20_000],
      storeFingerprintForResuming: false,
      metadata: { filename: file.name, filetype: file.type || "application/octet-stream" },
      onProgress: (sent) => onBytes(sent),
      onSuccess: () => resolve(upload.url!.split("/").pop()!),
      onError: (error) => {
        const body = (error as tus.DetailedError).originalResponse?.getBody();
        reject(new Error(body ? `${file.name}: ${body.trim()}` : `${file.name}: the network dropped and did not come back; try again`));
      },
    });
    upload.start();
  });

/**
 * Upload the files (resumably, one after the other, with overall progress), then create the capture from them.
 * Resolves with the created capture or rejects with the server's explanation.
 */
export const uploadCapture = async (
  input: { encounterId: string; procedureId: string; imageLaterality: string; bodySite: string; files: File[] },
  onProgress: (fraction: number) => void,
): Promise<TCapture> => {
  const total = input.files.reduce((sum, f) => sum + f.size, 0) || 1;
  let done = 0;
  const ids: string[] = [];
  for (const file of input.files) {
    ids.push(await uploadFile(file, (sent) => onProgress(Math.min(1, (done + sent) / total))));
    done += file.size;
  }
  const response = await fetch("/api/v1/captures", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      encounterId: input.encounterId,
      procedureId: input.procedureId,
      imageLaterality: input.imageLaterality,
      ...(input.bodySite ? { bodySite: input.bodySite } : {}),
      uploads: ids.map((id) => ({ id })),
    }),
  });
  const body = (await response.json().catch(() => null)) as (TCapture & { error?: string }) | null;
  if (response.status !== 201 || !body) {
    throw new Error(body?.error ?? `upload failed (HTTP ${response.status})`);
  }

  return body;
};
