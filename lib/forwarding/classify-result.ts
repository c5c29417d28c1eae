/**
 * Maps what a STOW-RS origin server said about one instance to one of three outcomes (reliability-matrix.md
 * §2.1; status codes from PS3.18 §10.5.3, reason codes from PS3.18 §10.5.3 / PS3.4 Table B.2-1):
 *
 * | Evidence (first match wins)                                   | Outcome   |
 * |---------------------------------------------------------------|-----------|
 * | no HTTP response (refused, reset, timeout)                    | transient |
 * | FailedSOPSequence, FailureReason A7xx (out of resources)      | transient |
 * | FailedSOPSequence, FailureReason 0110 (processing failure)    | transient |
 * | FailedSOPSequence, FailureReason A9xx, Cxxx, 0122, 0124       | permanent |
 * | ReferencedSOPSequence, HTTP 2xx or 4xx                        | stored    |
 * | HTTP 2xx without the instance in ReferencedSOPSequence        | transient |
 * | HTTP 408, 429, 5xx (507 insufficient storage included)        | transient |
 * | HTTP 400 without a reason for the instance                    | transient |
 * | any other status (other 4xx, 3xx)                             | permanent |
 *
 * Why some rows are as they are:
 * - A 200 that does not list the instance is not trusted: Orthanc once answered 200 to a chunked request and
 *   stored nothing (ImagingDataCommons/dicomweb-client#42). Sending again is safe: a repeated STOW of the same
 *   SOP Instance UID stores no duplicate (Orthanc keeps the first copy).
 * - A bare 400 is retried, not dead-lettered: Orthanc's storage-full "Reject" mode answers a single-instance
 *   STOW with HTTP 400 (orthanc-tests NewTests/MaxStorageReject); newer DICOMweb plugins add FailureReason
 *   0xA700, which the reason rows already treat as transient. Losing an instance to a full archive is worse than
 *   retrying a malformed one until the horizon (our files are SHA-256-checked before every send). A 400 that
 *   names an A9xx/Cxxx reason is permanent.
 * - A reference inside a 4xx answer is believed: Orthanc answers 400 for a whole request when one part is
 *   unreadable, yet lists the parts it did store; retrying them would tie them to the bad one.
 * - Unknown reason codes (e.g. vendor codes) fall through to the HTTP status rows.
 */
import type { TStowInstanceResult } from "./stow-rs-client";

export type TDeliveryOutcome = {
  kind: "stored" | "transient" | "permanent";
  /** Short, PHI-free explanation for DeliveryJob.lastError and the log. */
  detail: string;
  /** Stored with a WarningReason (e.g. 0xB000 coercion): kept in lastError so it stays visible. */
  warning?: string;
};

const hex = (code: number): string => `0x${code.toString(16).toUpperCase().padStart(4, "0")}`;

/** The class a FailureReason code implies, or undefined for codes we do not know. */
const classifyReason = (code: number): { kind: "transient" | "permanent"; meaning: string } | undefined => {
  if ((code & 0xff00) === 0xa700) {
    return { kind: "transient", meaning: "out of resources" };
  }
  if (code === 0x0110) {
    return { kind: "transient", meaning: "processing failure" };
  }
  if ((code & 0xff00) === 0xa900) {
    return { kind: "permanent", meaning: "data set does not match SOP Class" };
  }
  if ((code & 0xf000) === 0xc000) {
    return { kind: "permanent", meaning: "cannot understand" };
  }
  if (code === 0x0122) {
    return { kind: "permanent", meaning: "SOP Class not supported" };
  }
  if (code === 0x0124) {
    return { kind: "permanent", meaning: "not authorized" };
  }

  return undefined;
};

/**
 * Classify one instance's result.
 * @param result - the per-instance result of stowInstances
 */
export const classifyResult = (result: TStowInstanceResult): TDeliveryOutcome => {
  const { status } = result;
  if (status === null) {
    return { kind: "transient", detail: `no response: ${result.networkError ?? "unknown network error"}` };
  }
  if (result.failed) {
    const code = result.failureReason;
    const known = code === undefined ? undefined : classifyReason(code);
    if (code !== undefined && known) {
      return { kind: known.kind, detail: `HTTP ${status}, FailureReason ${hex(code)} (${known.meaning})` };
    }
  }
  const reasonNote = result.failed ? `, FailureReason ${result.failureReason === undefined ? "absent" : hex(result.failureReason)}` : "";
  if (result.referenced && status >= 200 && status < 500) {
    if (result.warningReason === undefined) {
      return { kind: "stored", detail: `HTTP ${status}` };
    }
    const warning = `WarningReason ${hex(result.warningReason)}`;

    return { kind: "stored", detail: `HTTP ${status}, ${warning}`, warning };
  }
  if (status >= 200 && status < 300) {
    return { kind: "transient", detail: `HTTP ${status} without the instance in ReferencedSOPSequence${reasonNote}` };
  }
  if (status === 408 || status === 429 || status >= 500) {
    return { kind: "transient", detail: `HTTP ${status}${reasonNote}` };
  }
  if (status === 400) {
    return { kind: "transient", detail: `HTTP 400 without a failure reason for the instance (may be archive full)${reasonNote}` };
  }

  return { kind: "permanent", detail: `HTTP ${status}${reasonNote}` };
};
