/**
 * Hl7Message rows: the column values for one inbound message, and the "store it whatever happened" write used for
 * refused messages and database failures (outside the event transaction, so a rolled-back apply still leaves the
 * message on record).
 */
import type { TDb, TTx } from "../db";
import { createLogger } from "../logger";
import type { TStoreWriter } from "../worklist/adt-store";
import type { TAckCode } from "./build-ack";
import type { TParsedMessage } from "./parse-message";

const log = createLogger("hl7");

/** processed: applied (AA); error: AE (fix and resend, or retry); rejected: cannot be processed here. */
export type THl7MessageStatus = "processed" | "error" | "rejected";

/** The previous row for the same (sendingFacility, MSH-10), as looked up before processing. */
export type TPreviousMessage = { id: string; status: string; bodyHash: string; ack: string };

export type TMessageOutcome = {
  status: THl7MessageStatus;
  /** Outcome in original-mode terms (AA/AE/AR); the ack column holds what was sent (CA/CE/CR in enhanced mode). */
  ackCode: TAckCode;
  ack: string;
  error: string;
  patientId?: string | null;
};

/**
 * Column values for a message row (parseMessage already turned NUL into U+FFFD; bodyHash is computed over the
 * original bytes).
 * @param parsed - the parsed message
 * @param bodyHash - SHA-256 (hex) of the frame payload (trailing CR/LF excluded)
 * @param controlId - MSH-10, or null when the row must not take part in duplicate detection
 * @param outcome - status, ACK and error
 */
export const hl7MessageRow = (
  parsed: TParsedMessage,
  bodyHash: string,
  controlId: string | null,
  outcome: TMessageOutcome,
) => {
  const h = parsed.header;

  return {
    sendingApp: h?.sendingApp ?? "",
    sendingFacility: h?.sendingFacility ?? "",
    controlId,
    messageType: h?.messageType ?? "",
    triggerEvent: h?.triggerEvent ?? "",
    version: h?.version ?? "",
    bodyHash,
    raw: parsed.text,
    receivedAt: new Date(),
    ...outcome,
    patientId: outcome.patientId ?? null,
  };
};

/**
 * Insert a row, or overwrite the previous failed row with the same key (a resend after an error). Returns the row
 * id. Used inside the event transaction and, for failures, on its own.
 * @param db - client or transaction
 * @param previous - the earlier non-processed row for this key, if any
 * @param row - from hl7MessageRow; `id` (only for a new row) when other rows already reference it
 */
export const saveHl7Message = async (
  db: TDb | TTx,
  previous: TPreviousMessage | null | undefined,
  row: ReturnType<typeof hl7MessageRow> & { id?: string },
): Promise<string> => {
  const saved = previous
    ? await db.hl7Message.update({ where: { id: previous.id }, data: row, select: { id: true } })
    : await db.hl7Message.create({ data: row, select: { id: true } });

  return saved.id;
};

/**
 * Store a refused or failed message in its own write; never throws (the ACK must still go out). When the key is
 * taken meanwhile (a concurrent copy), the row is kept without a control id.
 * @param write - runs one write on a store (the listener's driver-level store, or Prisma's client)
 * @param previous - the earlier non-processed row for this key, if any
 * @param row - from hl7MessageRow
 * @returns the row id, or undefined when the database refused every attempt
 */
export const storeFailedMessage = async (
  write: TStoreWriter,
  previous: TPreviousMessage | null | undefined,
  row: ReturnType<typeof hl7MessageRow>,
): Promise<string | undefined> => {
  try {
    return await write((store) => store.saveHl7Message(previous, row));
  } catch {
    try {
      return await write((store) => store.saveHl7Message(undefined, { ...row, controlId: null }));
    } catch (error) {
      log.error("could not store the message", { controlId: row.controlId, error: errorCode(error) });

      return undefined;
    }
  }
};

/**
 * A loggable, PHI-free description of a database error: Prisma/driver code and class name only (driver messages
 * can quote key values such as an MRN).
 * @param error - anything thrown
 */
export const errorCode = (error: unknown): string => {
  const e = error as { code?: unknown; name?: unknown } | undefined;

  return [typeof e?.name === "string" ? e.name : "Error", typeof e?.code === "string" ? e.code : ""]
    .filter(Boolean)
    .join(" ");
};
