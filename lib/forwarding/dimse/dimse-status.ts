/**
 * What a DIMSE status or a failed association means for delivery (reliability-matrix.md §2.3; status codes from
 * PS3.4 Table B.2-1 (Storage), PS3.7 Annex C (general statuses)):
 *
 * | Status / failure                                                        | Kind      |
 * |-------------------------------------------------------------------------|-----------|
 * | 0000 success                                                            | success   |
 * | 0001, 0107, 0116, Bxxx (B000 coerced, B006 elements discarded, B007 mismatch) | warning (stored) |
 * | A7xx out of resources, 0213 resource limitation, 0110 processing failure, 0210 duplicate invocation, FE00 cancel | transient |
 * | A9xx data set does not match SOP Class, Cxxx cannot understand, 0122/0112 SOP Class not supported, 0124 not authorized, 0211/0212 protocol errors, 0117 invalid SOP Instance, any other code | permanent |
 * | connect refused/reset, peer A-ABORT, socket closed, timeouts, malformed or oversize PDUs | transient |
 * | A-ASSOCIATE-RJ with result 2 (rejected-transient)                      | transient |
 * | A-ASSOCIATE-RJ with result 1 (rejected-permanent), no accepted presentation context, unreadable file | permanent |
 */

export type TDimseStatusKind = "success" | "warning" | "transient" | "permanent";

/** Codes of DimseError, one per way an association or operation can fail. */
export type TDimseErrorCode =
  | "connect-failed"
  | "connect-timeout"
  | "association-timeout"
  | "association-rejected"
  | "aborted"
  | "connection-closed"
  | "protocol-error"
  | "pdu-too-large"
  | "dimse-timeout"
  | "release-timeout"
  | "no-presentation-context"
  | "invalid-file"
  | "association-closed";

/** A failure outside a DIMSE status: the association (or the file) could not be used. */
export class DimseError extends Error {
  constructor(
    readonly code: TDimseErrorCode,
    readonly kind: "transient" | "permanent",
    message: string,
    readonly detail: { result?: number; source?: number; reason?: number } = {},
  ) {
    super(message);
    this.name = "DimseError";
  }
}

const hex = (code: number): string => code.toString(16).toUpperCase().padStart(4, "0");

const NAMED: Record<number, { kind: TDimseStatusKind; meaning: string }> = {
  0x0000: { kind: "success", meaning: "success" },
  0x0001: { kind: "warning", meaning: "requested optional attributes are not supported" },
  0x0107: { kind: "warning", meaning: "attribute list error" },
  0x0116: { kind: "warning", meaning: "attribute value out of range" },
  0xb000: { kind: "warning", meaning: "coercion of data elements" },
  0xb006: { kind: "warning", meaning: "elements discarded" },
  0xb007: { kind: "warning", meaning: "data set does not match SOP Class" },
  0x0110: { kind: "transient", meaning: "processing failure" },
  0x0210: { kind: "transient", meaning: "duplicate invocation" },
  0x0213: { kind: "transient", meaning: "resource limitation" },
  0xfe00: { kind: "transient", meaning: "cancelled" },
  0x0112: { kind: "permanent", meaning: "no such SOP Class (SOP Class not supported)" },
  0x0117: { kind: "permanent", meaning: "invalid SOP Instance" },
  0x0122: { kind: "permanent", meaning: "SOP Class not supported" },
  0x0124: { kind: "permanent", meaning: "not authorized" },
  0x0211: { kind: "permanent", meaning: "unrecognized operation" },
  0x0212: { kind: "permanent", meaning: "mistyped argument" },
};

/**
 * The kind and meaning of a DIMSE status (C-STORE-RSP, C-ECHO-RSP).
 * @param status - (0000,0900) Status
 * @returns kind (success, warning = stored, transient = retry, permanent = give up) and a short meaning
 */
export const classifyDimseStatus = (status: number): { kind: TDimseStatusKind; meaning: string } => {
  const named = NAMED[status];
  if (named) {
    return named;
  }
  if ((status & 0xf000) === 0xb000) {
    return { kind: "warning", meaning: "warning" };
  }
  if ((status & 0xff00) === 0xa700) {
    return { kind: "transient", meaning: "out of resources" };
  }
  if ((status & 0xff00) === 0xa900) {
    return { kind: "permanent", meaning: "data set does not match SOP Class" };
  }
  if ((status & 0xf000) === 0xc000) {
    return { kind: "permanent", meaning: "cannot understand" };
  }

  return { kind: "permanent", meaning: "unknown failure status" };
};

/** "0xA700 out of resources" for logs and DeliveryJob.lastError (no PHI). */
export const describeDimseStatus = (status: number): string => `0x${hex(status)} ${classifyDimseStatus(status).meaning}`;

/**
 * Transient or permanent, for anything `store()`/`echo()`/`openAssociation()` threw: a DimseError carries its
 * kind; anything else (a bug, an fs error reading the file) is treated as transient so the outbox retries it
 * until its horizon rather than losing it.
 */
export const classifyDimseFailure = (err: unknown): "transient" | "permanent" =>
  err instanceof DimseError ? err.kind : "transient";

/** Texts of A-ASSOCIATE-RJ result/source/reason (PS3.8 Table 9-21). */
export const describeRejection = (result: number, source: number, reason: number): string => {
  const resultText = result === 1 ? "rejected-permanent" : result === 2 ? "rejected-transient" : `result ${result}`;
  const reasons: Record<number, Record<number, string>> = {
    1: { 1: "no reason given", 2: "application context name not supported", 3: "calling AE title not recognized", 7: "called AE title not recognized" },
    2: { 1: "no reason given", 2: "protocol version not supported" },
    3: { 1: "temporary congestion", 2: "local limit exceeded" },
  };
  const sources: Record<number, string> = { 1: "service user", 2: "service provider (ACSE)", 3: "service provider (presentation)" };
  const reasonText = reasons[source]?.[reason] ?? `reason ${reason}`;

  return `association ${resultText} by the ${sources[source] ?? `source ${source}`}: ${reasonText}`;
};
