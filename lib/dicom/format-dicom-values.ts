/**
 * Value formatting for the VRs we write (PS3.5 §6.2, Table 6.2-1). Dates and times are local time of the server;
 * the offset goes into Timezone Offset From UTC (0008,0201), which applies to every DA/TM/DT in the instance
 * (PS3.3 C.12.1.1.8).
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** DA: YYYYMMDD (local time). */
export const toDicomDate = (d: Date): string => `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;

/** TM: HHMMSS.FFF (local time). */
export const toDicomTime = (d: Date): string =>
  `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;

/** DT: YYYYMMDDHHMMSS.FFF (local time; the offset is in Timezone Offset From UTC). */
export const toDicomDateTime = (d: Date): string => toDicomDate(d) + toDicomTime(d);

/** SH for (0008,0201): "+HHMM" / "-HHMM" of the local zone at `d`. */
export const toTimezoneOffset = (d: Date): string => {
  const minutes = -d.getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
};

/**
 * PN from name parts: `family^given^middle^prefix^suffix` (PS3.5 §6.2.1.2), trailing empty components dropped.
 * The PN delimiters `^` and `=`, the value delimiter `\` and control characters cannot appear inside a component,
 * so they are replaced by a space.
 */
export const toPersonName = (parts: {
  familyName: string;
  givenName: string;
  middleName: string;
  prefix: string;
  suffix: string;
}): string => {
  const clean = (s: string): string => s.replace(/[\^=\\\u0000-\u001f\u007f]/g, " ").trim();
  const components = [parts.familyName, parts.givenName, parts.middleName, parts.prefix, parts.suffix].map(clean);
  while (components.length > 0 && components[components.length - 1] === "") {
    components.pop();
  }
  return components.join("^");
};
