import type { TCapture } from "@/lib/capture/get-capture";

/**
 * POST the capture as multipart/form-data with upload progress (XMLHttpRequest: fetch has no upload progress).
 * Resolves with the created capture or rejects with the server's explanation.
 */
export const uploadCapture = (
  input: { encounterId: string; procedureId: string; imageLaterality: string; bodySite: string; files: File[] },
  onProgress: (fraction: number) => void,
): Promise<TCapture> =>
  new Promise((resolve, reject) => {
    const form = new FormData();
    form.set("encounterId", input.encounterId);
    form.set("procedureId", input.procedureId);
    form.set("imageLaterality", input.imageLaterality);
    if (input.bodySite) form.set("bodySite", input.bodySite);
    input.files.forEach((f) => form.append("file", f, f.name));
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/captures");
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status === 201) {
        resolve(xhr.response as TCapture);
      } else {
        reject(new Error((xhr.response as { error?: string } | null)?.error ?? `upload failed (HTTP ${xhr.status})`));
      }
    };
    xhr.onerror = () => reject(new Error("the network dropped: nothing was sent, try again"));
    xhr.send(form);
  });
