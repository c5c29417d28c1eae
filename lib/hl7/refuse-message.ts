/**
 * The negative path: answer AE/AR with an ERR segment and keep the message on record in its own write
 * (reliability-matrix §1.3: a refused message is still evidence). Used for parse/validation errors, worklist
 * refusals, reused control ids and database failures.
 */
import { createLogger } from "../logger";
import type { TStoreWriter } from "../worklist/adt-store";
import { buildAck } from "./build-ack";
import type { Hl7Error } from "./hl7-error";
import { hl7MessageRow, storeFailedMessage, type TPreviousMessage } from "./hl7-message-row";
import type { TParsedMessage } from "./parse-message";

const log = createLogger("hl7");

/** One inbound message as handle-inbound sees it. */
export type TInbound = {
  parsed: TParsedMessage;
  /** SHA-256 (hex) of the frame payload (trailing CR/LF excluded). */
  bodyHash: string;
  /** Audit source, e.g. "mllp:10.1.2.3". */
  source: string | undefined;
};

/**
 * Build the AE/AR ACK for an error, store the message, audit it. Never throws.
 *
 * Row placement: over the earlier failed row with the same (MSH-4, MSH-10) — a resend after an error; as a new
 * keyed row; or, when the key belongs to a processed message (reused control id), as a new row with controlId
 * null and status "rejected" (answered AE: the content may be fine, the key is not). Otherwise AR → "rejected",
 * AE → "error".
 * @param write - runs one write on a store (each write its own transaction)
 * @param inbound - parsed message, hash, source
 * @param error - what to report (code, location, AE/AR)
 * @param previous - the row found for this key before processing (undefined when unknown)
 * @returns the ACK text
 */
export const refuseMessage = async (
  write: TStoreWriter,
  inbound: TInbound,
  error: Hl7Error,
  previous: TPreviousMessage | null | undefined,
): Promise<string> => {
  const { parsed } = inbound;
  const ack = buildAck({ header: parsed.header, code: error.ack, text: error.message, error });
  const keyTaken = previous?.status === "processed";
  const controlId = !keyTaken && parsed.header?.controlId ? parsed.header.controlId : null;
  const status = error.ack === "AR" || keyTaken ? "rejected" : "error";
  const errorText = `${error.code} ${error.location}: ${error.message}`;
  const row = hl7MessageRow(parsed, inbound.bodyHash, controlId, { status, ackCode: error.ack, ack, error: errorText });
  const id = await storeFailedMessage(write, keyTaken ? undefined : previous, row);
  log.warn("message refused", {
    messageId: id,
    controlId: parsed.header?.controlId,
    ack: error.ack,
    code: error.code,
    location: error.location,
  });
  await write((store) =>
    store.recordAuditEvent({
      action: "hl7.received",
      outcome: error.ack === "AR" ? 8 : 4,
      subject: id ?? "",
      detail: `${parsed.header?.messageType ?? "?"}^${parsed.header?.triggerEvent ?? ""} ${error.ack} ${errorText}`,
      source: inbound.source,
    }),
  ).catch(() => {});

  return ack;
};
