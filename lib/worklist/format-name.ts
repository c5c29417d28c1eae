/** Name parts as received in PID-5 (XPN: family^given^middle^suffix^prefix). */
export type TNameParts = { familyName: string; givenName: string; middleName: string; suffix: string; prefix: string };

/**
 * Display form for people: "FAMILY, Prefix Given Middle, Suffix" (family name first and upper-cased, as on
 * wristbands, so it cannot be misread as a given name).
 * @param p - name parts
 */
export const formatDisplayName = (p: TNameParts): string => {
  const given = [p.prefix, p.givenName, p.middleName].filter(Boolean).join(" ");
  const family = p.familyName.toLocaleUpperCase();
  const main = given ? `${family}, ${given}` : family;

  return p.suffix ? `${main}, ${p.suffix}` : main;
};

/**
 * DICOM PN (PS3.5 §6.2): family^given^middle^prefix^suffix, trailing empty components removed.
 * @param p - name parts
 */
export const formatDicomName = (p: TNameParts): string =>
  [p.familyName, p.givenName, p.middleName, p.prefix, p.suffix].join("^").replace(/\^+$/, "");

/**
 * A user's display name as DICOM PN: "Family, Given" or "Given Family" → "Family^Given".
 * @param name - display name
 */
export const userNameToDicom = (name: string): string => {
  const trimmed = name.trim();
  if (trimmed.includes(",")) {
    const [family = "", given = ""] = trimmed.split(",", 2).map((s) => s.trim());

    return [family, given].join("^").replace(/\^+$/, "");
  }
  const parts = trimmed.split(/\s+/);
  const family = parts.pop() ?? "";

  return [family, parts.join(" ")].join("^").replace(/\^+$/, "");
};

/** YYYYMMDD → YYYY-MM-DD for display ("" stays ""). */
export const formatBirthDate = (da: string): string =>
  /^\d{8}$/.test(da) ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}` : da;
