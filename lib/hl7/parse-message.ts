/**
 * Inbound message: bytes → text (MSH-18) → header (MSH) → typed event (ADT A01/A04/A08 for now).
 * Never throws: problems come back as an Hl7Error with table 0357 code, ERR location and AE/AR, next to whatever
 * header could be read, so the caller can still answer with a correlated ACK and store the message.
 *
 * Header checks, in order: MSH first (100, AR, no header), MSH-9 (101, AR), MSH-10 (101, AE), MSH-12 version
 * 2.3–2.9 (203, AR), character set (see decode-message-text.ts), MSH-9.1 = ADT (200, AR), then the event parser.
 */
import { decodeMessageText, type THl7Encoding } from "./decode-message-text";
import { Hl7Error } from "./hl7-error";
import { Hl7Segments, type THl7Delimiters } from "./hl7-segments";
import { parseAdt } from "./parse-adt";
import type { TAdtEvent } from "./adt-event";

export type THl7Header = {
  delimiters: THl7Delimiters;
  /** MSH-2 as sent. */
  encodingCharacters: string;
  /** MSH-3/4/5/6 namespace id (HD.1), decoded. */
  sendingApp: string;
  sendingFacility: string;
  receivingApp: string;
  receivingFacility: string;
  /** MSH-3/4/5/6 raw field text, echoed (swapped) in the ACK exactly as received. */
  rawFields: { sendingApp: string; sendingFacility: string; receivingApp: string; receivingFacility: string };
  /** MSH-7 (TS.1). */
  dateTime: string;
  /** MSH-9.1 / .2 / .3 */
  messageType: string;
  triggerEvent: string;
  messageStructure: string;
  /** MSH-10 */
  controlId: string;
  /** MSH-11.1 processing id (P, T, D). */
  processingId: string;
  /** MSH-12.1 */
  version: string;
  /** MSH-15 / MSH-16 (table 0155: AL, NE, ER, SU); either set → enhanced acknowledgment mode. */
  acceptAckType: string;
  appAckType: string;
  /** MSH-18 raw field (echoed in the ACK). */
  charset: string;
};

export type TParsedMessage = {
  /** The decoded text (Latin-1 when undecodable), for storage. */
  text: string;
  /** How the text was decoded; the ACK is encoded the same way. */
  encoding: THl7Encoding;
  header: THl7Header | undefined;
  /** Set for a valid ADT A01/A04/A08. */
  adt: TAdtEvent | undefined;
  error: Hl7Error | undefined;
};

const SUPPORTED_VERSION = /^2\.[3-9](\.\d+)?$/;

/** Read MSH; the text starts with "MSH" and a field separator. */
const readHeader = (segs: Hl7Segments): THl7Header => {
  const msh = segs.get("MSH");
  const v = (position: number, component = 1): string => segs.value(msh, position, component);
  const raw = (position: number): string => msh?.fields[position] ?? "";

  return {
    delimiters: segs.delimiters,
    encodingCharacters: raw(2),
    sendingApp: v(3),
    sendingFacility: v(4),
    receivingApp: v(5),
    receivingFacility: v(6),
    rawFields: { sendingApp: raw(3), sendingFacility: raw(4), receivingApp: raw(5), receivingFacility: raw(6) },
    dateTime: v(7),
    messageType: v(9, 1),
    triggerEvent: v(9, 2),
    messageStructure: v(9, 3),
    controlId: segs.unescape(raw(10)).trim(),
    processingId: v(11),
    version: v(12),
    acceptAckType: v(15),
    appAckType: v(16),
    charset: raw(18),
  };
};

/** The first header problem, if any (see the module comment for the order). */
const checkHeader = (header: THl7Header, charsetProblem: Hl7Error | undefined): Hl7Error | undefined => {
  if (header.messageType === "") {
    return new Hl7Error(101, "MSH^1^9", "MSH-9 message type is empty", "AR");
  }
  if (header.controlId === "") {
    return new Hl7Error(101, "MSH^1^10", "MSH-10 message control id is empty");
  }
  if (!SUPPORTED_VERSION.test(header.version)) {
    return new Hl7Error(203, "MSH^1^12", "MSH-12 version id is not supported (2.3 to 2.9)", "AR");
  }
  if (charsetProblem) {
    return charsetProblem;
  }
  if (header.messageType !== "ADT") {
    return new Hl7Error(200, "MSH^1^9^1^1", "MSH-9.1 message type is not supported (ADT only)", "AR");
  }

  return undefined;
};

/**
 * Parse one inbound message.
 * @param raw - frame payload bytes
 */
export const parseMessage = (raw: Buffer): TParsedMessage => {
  const decoded = decodeMessageText(raw);
  const { encoding } = decoded;
  // NUL is not HL7 text and PostgreSQL text columns cannot hold it: it reads as U+FFFD everywhere (stored raw text,
  // header values, the ACK's echoed fields), so a message with NUL bytes is still answered AND kept on both engines.
  const text = decoded.text.includes("\u0000") ? decoded.text.replaceAll("\u0000", "\uFFFD") : decoded.text;
  const result: TParsedMessage = { text, encoding, header: undefined, adt: undefined, error: undefined };
  if (!/^MSH[^A-Za-z0-9\s]/.test(text)) {
    return { ...result, error: new Hl7Error(100, "MSH^1", "the message does not start with an MSH segment", "AR") };
  }
  const segs = new Hl7Segments(text, (bytes) => bytes.toString(encoding));
  const header = readHeader(segs);
  const error = checkHeader(header, decoded.problem);
  if (error) {
    return { ...result, header, error };
  }
  try {
    return { ...result, header, adt: parseAdt(segs, header) };
  } catch (e) {
    if (e instanceof Hl7Error) {
      return { ...result, header, error: e };
    }
    throw e;
  }
};
