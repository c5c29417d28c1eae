/**
 * RFC 4180 CSV: comma-separated, CRLF rows, fields quoted when they hold a comma, quote or line break.
 * Cells that a spreadsheet would run as a formula (= + - @ first) are written with a leading apostrophe
 * (OWASP "CSV injection"); `readCell` removes it again so exports import back unchanged.
 */

const FORMULA = /^[=+\-@\t\r]/;

/**
 * One CSV cell.
 * @param value - the text
 */
export const writeCell = (value: string | number | boolean | null | undefined): string => {
  let s = value === null || value === undefined ? "" : String(value);
  if (FORMULA.test(s)) {
    s = `'${s}`;
  }

  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * A CSV document (header first), CRLF line ends.
 * @param rows - rows of cells
 */
export const toCsv = (rows: (string | number | boolean | null | undefined)[][]): string => rows.map((r) => r.map(writeCell).join(",")).join("\r\n") + "\r\n";

/**
 * Undo the formula guard of writeCell.
 * @param cell - a parsed cell
 */
export const readCell = (cell: string): string => (cell.startsWith("'") && FORMULA.test(cell.slice(1)) ? cell.slice(1) : cell);

/**
 * Parse CSV text into rows of cells (a UTF-8 BOM is skipped; blank lines stay, as rows of one empty cell, so a
 * row's index + 1 is its line number when no quoted field spans lines).
 * @param text - the document
 * @throws Error on an unterminated quoted field
 */
export const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  const src = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"' && cell === "") {
      quoted = true;
    } else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && src[i + 1] === "\n") {
        i++;
      }
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else {
      cell += c;
    }
  }
  if (quoted) {
    throw new Error("unterminated quoted field");
  }
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }

  return rows;
};
