/**
 * HL7 v2 DTM/TS values (HL7 v2.5.1 ch. 2A.22 DTM): YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ].
 * A value without an offset is read in this server's local time zone (the sender's clock is normally the same
 * site's); set TZ for the listener process if the HIS runs elsewhere.
 */

const DTM = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$/;

/**
 * Parse a DTM/TS value (component 1 of a v2.3 TS). Missing parts default to the start of the period.
 * @param value - e.g. "20240102030405", "202401020304-0500", "1980"
 * @returns the instant, or undefined when the text is not a valid DTM
 */
export const parseHl7DateTime = (value: string): Date | undefined => {
  const m = DTM.exec(value.trim());
  if (!m) {
    return undefined;
  }
  const num = (i: number, fallback: number): number => (m[i] === undefined ? fallback : Number(m[i]));
  const [y, mo, d, h, mi, s] = [num(1, 0), num(2, 1), num(3, 1), num(4, 0), num(5, 0), num(6, 0)];
  const fraction = m[7];
  const offset = m[8];
  if (fraction !== undefined && m[6] === undefined) {
    return undefined;
  }
  const ms = fraction === undefined ? 0 : Math.round(Number(`0.${fraction}`) * 1000);
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  if (offset === undefined) {
    return new Date(y, mo - 1, d, h, mi, s, ms);
  }
  const [oh, om] = [Number(offset.slice(1, 3)), Number(offset.slice(3, 5))];
  if (oh > 23 || om > 59) {
    return undefined;
  }
  const offsetMinutes = (offset.startsWith("-") ? -1 : 1) * (oh * 60 + om);

  return new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMinutes * 60_000);
};

const pad = (n: number, width = 2): string => String(Math.abs(n)).padStart(width, "0");

/** Local-time DTM to the second with offset (uncached). */
const formatUncached = (date: Date): string => {
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const local =
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;

  return `${local}${sign}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
};

let lastFormatted = { second: NaN, text: "" };

/**
 * Format an instant as DTM to the second, in local time with its offset: YYYYMMDDHHMMSS+ZZZZ.
 * @param date - the instant
 */
export const formatHl7DateTime = (date: Date): string => {
  // Every ACK formats "now": the text changes once a second (offset changes fall on whole seconds too).
  const second = Math.floor(date.getTime() / 1000);
  if (second === lastFormatted.second) {
    return lastFormatted.text;
  }
  const text = formatUncached(date);
  lastFormatted = { second, text };

  return text;
};
