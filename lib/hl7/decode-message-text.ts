/**
 * Bytes → text, chosen by MSH-18 (character set, HL7 table 0211; first repetition = the default set).
 *
 * - empty: UTF-8 when the bytes are valid UTF-8, else ISO 8859-1 (what unlabelled 8-bit senders mostly mean;
 *   ASCII is a subset of both).
 * - `ASCII`: read as ISO 8859-1, so a stray 8-bit byte survives as a Latin-1 character instead of failing.
 * - `8859/1`: ISO 8859-1.
 * - `UNICODE UTF-8`: UTF-8, strictly: invalid bytes → AE 102 at MSH-18 (a garbled name is a patient-safety risk).
 * - anything else: AR 207 at MSH-18 (unsupported); the text is kept as Latin-1, which is byte-transparent.
 *
 * MSH itself is ASCII in every supported set, so it is read as Latin-1 before the set is known.
 * `\Xhh..\` escapes are decoded with the same set.
 */
import { isUtf8 } from "node:buffer";
import { Hl7Error } from "./hl7-error";

export type THl7Encoding = "utf8" | "latin1";

export type TDecodedText = {
  text: string;
  encoding: THl7Encoding;
  /** MSH-18 as sent (first repetition), "" when unset. */
  declared: string;
  /** Set when the bytes cannot be decoded as declared (the text is then Latin-1). */
  problem: Hl7Error | undefined;
};

/** MSH-18 (first repetition, trimmed, upper-case) read from the raw MSH line, "" when absent. */
const declaredCharset = (raw: Buffer): string => {
  const cr = raw.indexOf(0x0d);
  const lf = raw.indexOf(0x0a, 0);
  const lineEnd = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
  const msh = raw.toString("latin1", 0, lineEnd < 0 ? raw.length : lineEnd);
  if (!msh.startsWith("MSH") || msh.length < 5) {
    return "";
  }
  const parts = msh.split(msh.charAt(3));
  const repetition = parts[1]?.charAt(1) || "~";

  // parts[n - 1] is MSH-n (MSH-1 is the separator itself).
  return (parts[17] ?? "").split(repetition)[0]?.trim().toUpperCase() ?? "";
};

/**
 * Decode an inbound message.
 * @param raw - the frame payload
 */
export const decodeMessageText = (raw: Buffer): TDecodedText => {
  const declared = declaredCharset(raw);
  const as = (encoding: THl7Encoding, problem?: Hl7Error): TDecodedText => ({
    text: raw.toString(encoding),
    encoding,
    declared,
    problem,
  });
  switch (declared) {
    case "":
      return as(isUtf8(raw) ? "utf8" : "latin1");
    case "ASCII":
    case "8859/1":
      return as("latin1");
    case "UNICODE UTF-8":
      return isUtf8(raw)
        ? as("utf8")
        : as("latin1", new Hl7Error(102, "MSH^1^18", "MSH-18 declares UNICODE UTF-8; the bytes are not valid UTF-8"));
    default:
      return as("latin1", new Hl7Error(207, "MSH^1^18", "MSH-18 character set is not supported", "AR"));
  }
};
