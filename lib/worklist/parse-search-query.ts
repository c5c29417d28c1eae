/**
 * Splits what a clinician types into the worklist search box into terms the database can answer with its indexes:
 * a birth date in the forms people write (1970-03-15, 15.03.1970, 15/03/1970, 19700315) becomes an exact
 * Patient.birthDate (DICOM DA); a four-digit year matches birth dates of that year; anything else is a word that
 * must occur in the folded name + MRN (Patient.searchText) or equal an MRN, a former MRN or a visit number.
 */
import { foldSearchText } from "./fold-search-text";

export type TSearchTerm =
  | { kind: "birthDate"; value: string }
  | { kind: "birthYear"; value: string; folded: string; raw: string }
  | { kind: "word"; folded: string; raw: string };

const isValidDate = (y: number, m: number, d: number): boolean => {
  const date = new Date(Date.UTC(y, m - 1, d));

  return y >= 1850 && y <= 2200 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};

/**
 * A birth date typed in a common form, as YYYYMMDD; null when the text is not a full, valid date.
 * Day-first for dotted and slashed dates (European and ISO 8601 use; never month-first, which would be ambiguous).
 * @param text - one search word
 */
export const parseBirthDate = (text: string): string | null => {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text) ??
    /^(\d{4})(\d{2})(\d{2})$/.exec(text) ??
    (() => {
      const dmy = /^(\d{1,2})[./](\d{1,2})[./](\d{4})$/.exec(text);

      return dmy ? ([dmy[0], dmy[3], dmy[2], dmy[1]] as unknown as RegExpExecArray) : null;
    })();
  if (!m) {
    return null;
  }
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!isValidDate(y, mo, d)) {
    return null;
  }

  return `${String(y).padStart(4, "0")}${String(mo).padStart(2, "0")}${String(d).padStart(2, "0")}`;
};

/**
 * The terms of a search text; every term must match (AND), so "anna müller 1970" narrows as it grows.
 * @param q - the text as typed (at most 100 characters are read)
 */
export const parseSearchQuery = (q: string): TSearchTerm[] =>
  q
    .slice(0, 100)
    .split(/[\s,]+/)
    .map((raw) => raw.trim())
    .filter(Boolean)
    .slice(0, 6)
    .map((raw): TSearchTerm => {
      const birthDate = parseBirthDate(raw);
      if (birthDate) {
        return { kind: "birthDate", value: birthDate };
      }
      if (/^(18|19|20)\d{2}$/.test(raw)) {
        return { kind: "birthYear", value: raw, folded: raw, raw };
      }

      return { kind: "word", folded: foldSearchText(raw), raw };
    });
