/**
 * The ACK for an inbound message (HL7 v2.5.1 ch. 2.9 / 2.14.1 MSA, 2.14.5 ERR).
 *
 * MSH: the inbound delimiters and MSH-2; MSH-3/4 = inbound MSH-5/6 and MSH-5/6 = inbound MSH-3/4, copied as raw
 * field text; MSH-7 now; MSH-9 `ACK^<event>^ACK`; a new MSH-10; MSH-11 = inbound processing id (P when absent or
 * unknown, so a T message gets a T answer); MSH-12 = inbound version (2.5.1 when unknown); MSH-18 = inbound.
 * MSA: MSA-1 code, MSA-2 = inbound MSH-10 (empty only when no MSH could be read), MSA-3 text when given.
 * ERR (with an error): ERR-2 location, ERR-3 `<code>^<text>^HL70357`, ERR-4 `E`, ERR-8 our message; for versions
 * before 2.5 also ERR-1 (ELD `seg^seq^field^code&text&HL70357`), the only ERR field those versions define.
 * Enhanced mode (MSH-15 or MSH-16 set, ch. 2.9.3): one ACK on the same connection, after the commit. It carries the
 * commit-level codes CA/CE/CR unless MSH-15 is NE (no accept ACK wanted), in which case it is the application ACK
 * the sender asked for in MSH-16 (AA/AE/AR). No second, separate application ACK is ever sent; see README.
 */
import crypto from "node:crypto";
import { HL7_ERROR_TEXT, type Hl7Error } from "./hl7-error";
import { formatHl7DateTime } from "./hl7-time";
import type { THl7Delimiters } from "./hl7-segments";
import type { THl7Header } from "./parse-message";

/** Original-mode codes; mapped to CA/CE/CR in enhanced mode. */
export type TAckCode = "AA" | "AE" | "AR";

export type TBuildAckOptions = {
  /** The inbound header, undefined when no MSH could be read. */
  header: THl7Header | undefined;
  code: TAckCode;
  /** MSA-3 text (no PHI). */
  text?: string;
  error?: Hl7Error;
  /** For tests: the ACK's MSH-7 and MSH-10. */
  now?: Date;
  controlId?: string;
};

const DEFAULT_DELIMITERS: THl7Delimiters = {
  field: "|",
  component: "^",
  repetition: "~",
  escape: "\\",
  subcomponent: "&",
  truncation: "",
};
const COMMIT_CODE: Record<TAckCode, string> = { AA: "CA", AE: "CE", AR: "CR" };

/** Escape text for one field value (ch. 2.7.4): the escape character first, then the delimiters. */
const escape = (text: string, d: THl7Delimiters): string => {
  if (d.escape === "") {
    return text;
  }
  const map: [string, string][] = [
    [d.escape, "E"],
    [d.field, "F"],
    [d.component, "S"],
    [d.repetition, "R"],
    [d.subcomponent, "T"],
    ...(d.truncation ? ([[d.truncation, "P"]] as [string, string][]) : []),
  ];
  let out = text;
  for (const [char, name] of map) {
    out = out.split(char).join(`${d.escape}${name}${d.escape}`);
  }

  return out.replace(/\r\n|\r|\n/g, `${d.escape}.br${d.escape}`);
};

/** Random per process (6 hex digits), so two listener processes do not hand out the same id in the same ms. */
const PROCESS_TAG = crypto.randomBytes(3).toString("hex");
let sequence = 0;

/**
 * A new control id: base-36 time (8) + process tag (6) + a per-process counter (4, base 36), 18 characters, within
 * the 20 MSH-10 allows before v2.7. Unique without a random draw per message: the counter repeats only after
 * 1,679,616 ids, never within one millisecond.
 */
const newControlId = (): string => {
  sequence = (sequence + 1) % 1_679_616;

  return `${Date.now().toString(36)}${PROCESS_TAG}${sequence.toString(36).padStart(4, "0")}`.toUpperCase();
};

/** Whether ERR-1 (ELD) is the only ERR field the version knows. */
const isBefore25 = (version: string): boolean => /^2\.[0-4]/.test(version);

/** ERR segment fields for an error. */
const errSegment = (error: Hl7Error, version: string, d: THl7Delimiters): string => {
  const c = d.component;
  const text = HL7_ERROR_TEXT[error.code];
  const code = [String(error.code), text, "HL70357"];
  const fields = ["ERR", "", error.location, code.join(c), "E", "", "", "", escape(error.message, d)];
  if (isBefore25(version)) {
    const eld = error.location.split(c).slice(0, 3);
    while (eld.length < 3) {
      eld.push("");
    }
    fields[1] = [...eld, code.join(d.subcomponent)].join(c);
  }

  return fields.join(d.field);
};

/**
 * Build the ACK text (segments separated and terminated by CR); encode it like the inbound message.
 * @param options - inbound header, code, text, error
 */
export const buildAck = (options: TBuildAckOptions): string => {
  const h = options.header;
  const d = h?.delimiters ?? DEFAULT_DELIMITERS;
  const version = h?.version || "2.5.1";
  const enhanced = h !== undefined && (h.acceptAckType !== "" || h.appAckType !== "");
  const commitLevel = enhanced && h.acceptAckType.toUpperCase() !== "NE";
  const processingId = h && ["P", "T", "D"].includes(h.processingId) ? h.processingId : "P";
  const event = h?.triggerEvent ? `${d.component}${escape(h.triggerEvent, d)}${d.component}ACK` : "";
  const msh = [
    "MSH",
    h?.encodingCharacters || "^~\\&",
    h?.rawFields.receivingApp ?? "",
    h?.rawFields.receivingFacility ?? "",
    h?.rawFields.sendingApp ?? "",
    h?.rawFields.sendingFacility ?? "",
    formatHl7DateTime(options.now ?? new Date()),
    "",
    `ACK${event}`,
    escape(options.controlId ?? newControlId(), d),
    processingId,
    escape(version, d),
    ...(h?.charset ? ["", "", "", "", "", h.charset] : []),
  ];
  const msa = ["MSA", commitLevel ? COMMIT_CODE[options.code] : options.code, escape(h?.controlId ?? "", d)];
  if (options.text) {
    msa.push(escape(options.text, d));
  }
  const segments = [msh.join(d.field), msa.join(d.field)];
  if (options.error) {
    segments.push(errSegment(options.error, version, d));
  }

  return segments.join("\r") + "\r";
};
