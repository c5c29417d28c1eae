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
 * | FailedSOPSequence, FailureReason 45070 (0xB00E), HTTP 2xx/409  | stored    |
 * | ReferencedSOPSequence, HTTP 2xx or 4xx                        | stored    |
 * | HTTP 2xx without the instance in ReferencedSOPSequence        | transient |
 * | HTTP 408, 429, 5xx (507 insufficient storage included)        | transient |
 * | HTTP 400 without a reason for the instance                    | transient |
 * | HTTP 413 (request too large)                                  | permanent |
 * | any other status (401, 403, 404, 409, 415, other 4xx, 3xx)    | permanent |
 *
 * A transient answer with a Retry-After header (429, 503; delta-seconds or HTTP-date, RFC 9110 §10.2.3) carries
 * `retryAfterMs`: the next attempt waits at least that long (retry-policy.ts), still bounded by the horizon.
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
 * - Unknown reason codes (e.g. vendor codes) fall through to the HTTP status rows, with one exception: Microsoft's
 *   DICOM service reports an instance it already holds with FailureReason 45070 (microsoft/dicom-server PR #2431),
 *   in a 202 or a 409. We send the same bytes under a SOP Instance UID on every retry, so "already stored" is our
 *   own earlier copy, typically stored by an attempt whose response was lost (a crash, a reset): stored, with a
 *   warning kept in lastError, as Orthanc's silent "AlreadyStored" is. Treating it as permanent would fail a job
 *   the archive holds.
 * - 413 is permanent for the request that got it. deliver-job-group.ts sends each instance of a batched request
 *   that got 413 again on its own, at once; an instance that alone gets 413 is larger than the archive accepts.
 * - 401/403 are permanent: retrying with the same credentials cannot succeed; an admin fixes the destination's
 *   credentials and resends the failed items (operations page).
 * - Orthanc 1.10 (Debian 12) with a full storage area answers STOW-RS with 200 and empty sequences; the
 *   "2xx without the instance" row makes that transient (tests/integration/forwarding/storage-full.test.ts).
 */
import type { TStowInstanceResult } from "./stow-rs-client";

export type TDeliveryOutcome = {
  kind: "stored" | "transient" | "permanent";
  /** Short, PHI-free explanation for DeliveryJob.lastError and the log. */
  detail: string;
  /** Stored with a WarningReason (e.g. 0xB000 coercion): kept in lastError so it stays visible. */
  warning?: string;
  /** Stored and confirmed by a QIDO-RS query (verify-stored.ts): DeliveryJob.verifiedAt. */
  verifiedAt?: Date;
  /** The archive asked us to wait this long before the next attempt (Retry-After). */
  retryAfterMs?: number;
};

/**
 * Retry-After as milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent
 * or unreadable.
 * @param value - the header value
 * @param now - the current time, ms since the epoch
 */
export const parseRetryAfter = (value: string | undefined, now: number = Date.now()): number | undefined => {
  const text = value?.trim();
  if (!text) {
    return undefined;
  }
  if (/^\d+$/.test(text)) {
    return Number.parseInt(text, 10) * 1000;
  }
  // An HTTP-date names its month ("Thu, 01 Jan 2026 00:00:30 GMT"); Date.parse alone would read "-5" as a year.
  const at = /[A-Za-z]/.test(text) ? Date.parse(text) : Number.NaN;

  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
};

/** Microsoft DICOM service: "the instance already exists" (a vendor FailureReason, decimal 45070). */
const ALREADY_STORED = 45070;

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

const classifyStatus = (result: TStowInstanceResult): TDeliveryOutcome => {
  const { status } = result;
  if (status === null) {
    return { kind: "transient", detail: `no response: ${result.networkError ?? "unknown network error"}` };
  }
  if (result.failed && result.failureReason === ALREADY_STORED && ((status >= 200 && status < 300) || status === 409)) {
    const warning = `FailureReason ${hex(ALREADY_STORED)} (already stored)`;

    return { kind: "stored", detail: `HTTP ${status}, ${warning}`, warning };
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
  if (status === 413) {
    return { kind: "permanent", detail: `HTTP 413 (request too large for the archive)${reasonNote}` };
  }

  return { kind: "permanent", detail: `HTTP ${status}${reasonNote}` };
};

/**
 * Classify one instance's result.
 * @param result - the per-instance result of stowInstances
 * @param now - the current time, ms (for a Retry-After given as an HTTP-date)
 */
export const classifyResult = (result: TStowInstanceResult, now: number = Date.now()): TDeliveryOutcome => {
  const outcome = classifyStatus(result);
  const retryAfterMs = outcome.kind === "transient" ? parseRetryAfter(result.retryAfter, now) : undefined;

  return retryAfterMs === undefined ? outcome : { ...outcome, detail: `${outcome.detail}, Retry-After ${Math.round(retryAfterMs / 1000)} s`, retryAfterMs };
};
