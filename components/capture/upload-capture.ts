import * as tus from "tus-js-client";
import type { TCapture } from "@/lib/capture/get-capture";
import type { TConsent } from "@/lib/capture/consent";

/** PATCH size: a proxy that buffers requests never holds more than this; a drop costs at most the part in flight. */
const CHUNK_BYTES = 32 * 1024 * 1024;

/**
 * Upload one file resumably (tus, /api/v1/uploads): if the connection drops, the client asks the server how much
 * arrived and continues from there, retrying for about a minute. Nothing is kept in the browser's storage
 * (no fingerprint in localStorage). Resolves with the upload id; rejects naming the file.
 * @param file - the photo, video or DICOM file (a File kept in memory only)
 * @param onFraction - progress of this file, 0…1
 */
export const uploadFile = (file: File, onFraction: (fraction: number) => void): Promise<string> =>
  new Promise((resolve, reject) => {
    const upload = new tus.Upload(file, {
      endpoint: "/api/v1/uploads",
      chunkSize: CHUNK_BYTES,
      retryDelays: [0, 1000, 3000, 5000, 10_000, 20_000, 20_000],
      storeFingerprintForResuming: false,
      metadata: { filename: file.name, filetype: file.type || "application/octet-stream" },
      onProgress: (sent, total) => onFraction(total > 0 ? sent / total : 0),
      onSuccess: () => resolve(upload.url!.split("/").pop()!),
      onError: (error) => {
        const body = (error as tus.DetailedError).originalResponse?.getBody();
        reject(new Error(body ? `${file.name}: ${body.trim()}` : `${file.name}: the network dropped and did not come back; try again`));
      },
    });
    upload.start();
  });

export type TCaptureRequest = {
  encounterId: string;
  procedureId: string;
  consent: TConsent;
  sensitive: boolean;
  /** In the order of the items; each with its own body site and Image Laterality when chosen. */
  uploads: { id: string; bodySite?: string; imageLaterality?: string }[];
};

/**
 * Create the capture from finished uploads (the server wraps each file as DICOM and queues its delivery).
 * Resolves with the created capture or rejects with the server's explanation (which names the refused file).
 */
export const createCaptureFromUploads = async (request: TCaptureRequest): Promise<TCapture> => {
  const response = await fetch("/api/v1/captures", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  const body = (await response.json().catch(() => null)) as (TCapture & { error?: string }) | null;
  if (response.status !== 201 || !body) {
    throw new Error(body?.error ?? `the server refused the capture (HTTP ${response.status})`);
  }

  return body;
};

/**
 * The capture's delivery state now (GET /api/v1/captures/<id>); null when the request failed (try again later).
 * @param id - capture id
 */
export const fetchCapture = async (id: string): Promise<TCapture | null> => {
  const response = await fetch(`/api/v1/captures/${id}`, { cache: "no-store" }).catch(() => null);

  return response?.ok ? ((await response.json()) as TCapture) : null;
};
