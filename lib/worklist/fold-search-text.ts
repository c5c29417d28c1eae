/**
 * Lower-case and strip accents so that "müller", "Muller" and "MÜLLER" all find "Müller" with a plain
 * substring match on both SQLite and PostgreSQL (Patient.searchText holds the folded name + MRN).
 * @param text - any text
 */
export const foldSearchText = (text: string): string =>
  text
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .replace(/ø/gi, "o")
    .replace(/æ/gi, "ae")
    .replace(/ß/g, "ss")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
