/**
 * Minimal HL7 v2 ER7 reader: segments → fields → repetitions → components → subcomponents, with escape decoding
 * (HL7 v2.5.1 ch. 2.7). Positions are 1-based as in the standard; MSH-1 is the field separator and MSH-2 the
 * encoding characters, so `field(msh, 9)` is MSH-9 as printed in the spec.
 *
 * Why not hl7v2's HL7Message for values: with 1.8.0 we saw it decode `8859/1` messages as UTF-8, leave `\X..\`,
 * `\E\` and `\.br\` undecoded in components, widen a v2.3 birth date "1980" to "19800101" and drop the sign of a
 * time-zone offset when re-serialising. Splitting ER7 is small; doing it here keeps every value exact.
 *
 * Segment terminator: CR; CRLF and LF are tolerated (LF cannot appear unescaped in HL7 text).
 */

export type THl7Delimiters = {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  /** v2.7 truncation character (5th encoding character), "" before v2.7. */
  truncation: string;
};

export type THl7Segment = {
  /** Segment id, e.g. "PID". */
  id: string;
  /** Raw (escaped) fields; index = HL7 field position (index 0 = the id). */
  fields: string[];
};

/** Formatting escapes (\.sp\, \.in\ ...) and highlighting (\H\ \N\) carry no text for our purposes. */
const FORMATTING = /^(\.[a-z]{2}[+-]?\d*|H|N|C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{4,6}|Z.*)$/;

/**
 * The index-th (0-based) piece of `text` split at `sep` — `text.split(sep)[index] ?? ""` without building the array
 * (called for every component read of every message).
 */
const nth = (text: string, sep: string, index: number): string => {
  let start = 0;
  for (let i = 0; i < index; i += 1) {
    const next = text.indexOf(sep, start);
    if (next < 0) {
      return "";
    }
    start = next + sep.length;
  }
  const end = text.indexOf(sep, start);

  return end < 0 ? text.slice(start) : text.slice(start, end);
};

export class Hl7Segments {
  readonly delimiters: THl7Delimiters;
  readonly segments: THl7Segment[];
  private readonly decodeBytes: (bytes: Buffer) => string;

  /**
   * Split a decoded message. The caller has checked that it starts with "MSH" plus a field separator.
   * @param text - the message text (already decoded from bytes per MSH-18)
   * @param decodeBytes - turns `\Xhh..\` bytes into text in the message's character set
   */
  constructor(text: string, decodeBytes: (bytes: Buffer) => string) {
    this.decodeBytes = decodeBytes;
    const field = text.charAt(3);
    const enc = text.slice(4).split(field, 1)[0] ?? "";
    this.delimiters = {
      field,
      component: enc.charAt(0) || "^",
      repetition: enc.charAt(1) || "~",
      escape: enc.charAt(2),
      subcomponent: enc.charAt(3) || "&",
      truncation: enc.charAt(4),
    };
    this.segments = text
      .split(text.includes("\n") ? /\r\n|\r|\n/ : "\r")
      .filter((line) => line.trim() !== "")
      .map((line) => {
        const parts = line.split(field);
        const id = parts[0] ?? "";
        // MSH-1 is the separator itself, so MSH fields shift by one against the split.
        return { id, fields: id === "MSH" ? [id, field, ...parts.slice(1)] : parts };
      });
  }

  /**
   * The n-th segment with this id.
   * @param id - segment id, e.g. "PV1"
   * @param occurrence - 1-based
   */
  get(id: string, occurrence = 1): THl7Segment | undefined {
    let seen = 0;
    for (const segment of this.segments) {
      if (segment.id === id && ++seen === occurrence) {
        return segment;
      }
    }

    return undefined;
  }

  /**
   * Raw repetitions of a field (empty repetitions kept, so indexes match the wire).
   * @param segment - the segment (undefined gives [])
   * @param position - field position
   */
  repetitions(segment: THl7Segment | undefined, position: number): string[] {
    const raw = segment?.fields[position] ?? "";
    if (raw === "" || (segment?.id === "MSH" && position <= 2)) {
      return raw === "" ? [] : [raw];
    }

    return raw.split(this.delimiters.repetition);
  }

  /**
   * A decoded component/subcomponent of one raw repetition.
   * @param repetition - raw repetition text
   * @param component - 1-based component
   * @param subcomponent - 1-based subcomponent
   */
  component(repetition: string | undefined, component = 1, subcomponent = 1): string {
    if (!repetition || component < 1 || subcomponent < 1) {
      return "";
    }
    const sub = nth(nth(repetition, this.delimiters.component, component - 1), this.delimiters.subcomponent, subcomponent - 1);

    return this.unescape(sub).trim();
  }

  /**
   * Decoded value of a field's first repetition, at a component/subcomponent.
   * @param segment - the segment
   * @param position - field position (e.g. 10 for MSH-10)
   * @param component - 1-based component
   * @param subcomponent - 1-based subcomponent
   */
  value(segment: THl7Segment | undefined, position: number, component = 1, subcomponent = 1): string {
    const raw = segment?.fields[position] ?? "";
    const first = segment?.id === "MSH" && position <= 2 ? raw : nth(raw, this.delimiters.repetition, 0);

    return this.component(first, component, subcomponent);
  }

  /**
   * Replace escape sequences (\F\ \S\ \T\ \R\ \E\ \P\ \Xhh..\ \.br\; formatting escapes are dropped).
   * An unterminated or unknown sequence is kept literally.
   * @param text - raw text of one component/subcomponent
   */
  unescape(text: string): string {
    const esc = this.delimiters.escape;
    if (esc === "" || !text.includes(esc)) {
      return text;
    }
    let out = "";
    let i = 0;
    while (i < text.length) {
      const start = text.indexOf(esc, i);
      const end = start < 0 ? -1 : text.indexOf(esc, start + 1);
      if (end < 0) {
        out += text.slice(i);
        break;
      }
      const seq = text.slice(start + 1, end);
      out += text.slice(i, start) + (this.escapeSequence(seq) ?? `${esc}${seq}${esc}`);
      i = end + 1;
    }

    return out;
  }

  /** Text for one escape sequence body (between the escape characters), undefined when unknown. */
  private escapeSequence(seq: string): string | undefined {
    const d = this.delimiters;
    const simple: Record<string, string> = {
      F: d.field,
      S: d.component,
      T: d.subcomponent,
      R: d.repetition,
      E: d.escape,
      P: d.truncation,
      ".br": "\n",
    };
    if (Object.hasOwn(simple, seq)) {
      return simple[seq];
    }
    if (/^X([0-9A-Fa-f]{2})+$/.test(seq)) {
      return this.decodeBytes(Buffer.from(seq.slice(1), "hex"));
    }

    return FORMATTING.test(seq) ? "" : undefined;
  }
}
