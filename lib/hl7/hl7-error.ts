/**
 * An inbound-message problem that becomes an ERR segment: HL7 table 0357 code, location, and the MSA-1 it earns.
 * Messages carry positions only (e.g. "PID-7 is not a valid date"), never field values: they are logged and
 * echoed in the ACK.
 */

/** HL7 table 0357 (message error condition codes) — the subset we emit. */
export const HL7_ERROR_TEXT = {
  100: "Segment sequence error",
  101: "Required field missing",
  102: "Data type error",
  103: "Table value not found",
  200: "Unsupported message type",
  201: "Unsupported event code",
  203: "Unsupported version id",
  205: "Duplicate key identifier",
  207: "Application internal error",
} as const;

export type THl7ErrorCode = keyof typeof HL7_ERROR_TEXT;

/**
 * AE (application error): the sender should fix the content, or retry later (database trouble).
 * AR (application reject): the message cannot be processed here at all (MSH-9/12 problems, unreadable header,
 * unsupported type/event/charset), following the BizTalk MSA table (reliability-matrix §1.2).
 */
export type THl7NegativeAck = "AE" | "AR";

export class Hl7Error extends Error {
  /** Table 0357 code for ERR-3. */
  readonly code: THl7ErrorCode;
  /** ERL for ERR-2, e.g. "PID^1^3" (segment^sequence^field[^repetition^component]); "" when not a field. */
  readonly location: string;
  readonly ack: THl7NegativeAck;

  /**
   * @param code - table 0357 code
   * @param location - ERL, e.g. "PID^1^3"
   * @param message - positions only, no PHI
   * @param ack - MSA-1 to answer with (default AE)
   */
  constructor(code: THl7ErrorCode, location: string, message: string, ack: THl7NegativeAck = "AE") {
    super(message);
    this.name = "Hl7Error";
    this.code = code;
    this.location = location;
    this.ack = ack;
  }
}
