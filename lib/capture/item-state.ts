/**
 * The state of one captured item on its way to the archive, as the bedside screen shows it (pure; browser + tests):
 * ready (not sent) → uploading (%) → wrapping (the server makes DICOM) → queued → sending → stored, or failed with
 * the reason at any step.
 */
import type { TCaptureInstance } from "./get-capture";

export type TItemState = "ready" | "uploading" | "wrapping" | "queued" | "sending" | "stored" | "failed";

/** What each state reads on screen. */
export const ITEM_STATE_LABEL: Record<TItemState, string> = {
  ready: "ready to send",
  uploading: "uploading",
  wrapping: "wrapping (server)",
  queued: "queued",
  sending: "sending to archive",
  stored: "stored in archive",
  failed: "failed",
};

/** A state after which nothing changes by itself. */
export const isFinalState = (state: TItemState): boolean => state === "stored" || state === "failed";

/**
 * The state of the item that became `instanceNumber` in a capture, from the capture's delivery summary.
 * @param instances - the capture's instances (GET /api/v1/captures/<id>)
 * @param instanceNumber - the item's position in the capture (1-based: files are numbered in the order sent)
 * @returns state and reason; "wrapping" while the instance is not listed yet
 */
export const deliveryStateOf = (
  instances: Pick<TCaptureInstance, "instanceNumber" | "status" | "lastError">[],
  instanceNumber: number,
): { state: TItemState; error: string } => {
  const instance = instances.find((i) => i.instanceNumber === instanceNumber);
  if (!instance) {
    return { state: "wrapping", error: "" };
  }

  return { state: instance.status, error: instance.status === "stored" ? "" : instance.lastError };
};

/**
 * Which item a refusal names: the server starts a 4xx message with the file's name ("clip.webm: …").
 * @param message - the server's error message
 * @param names - the names of the items sent, in order
 * @returns the index of the named item, or -1 when the message names none
 */
export const itemNamedIn = (message: string, names: string[]): number => {
  // The longest matching name wins ("photo-1.jpg" must not match "photo-10.jpg: …").
  let best = -1;
  names.forEach((name, index) => {
    if (message.startsWith(`${name}:`) && (best === -1 || name.length > names[best]!.length)) {
      best = index;
    }
  });

  return best;
};
