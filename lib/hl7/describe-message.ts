/**
 * A stored HL7 message, segment by segment with field names from hl7v2-dictionary (for the admin message view).
 * Values are shown as received (escape sequences not decoded): that is what an interface analyst compares with
 * the sending system's log.
 */
import { dictionaries, findNearestHL7Version, type HL7Version } from "hl7v2-dictionary";

export type TDescribedSegment = { name: string; description: string; fields: { position: string; name: string; value: string }[] };

/**
 * @param raw - the message text (segments separated by CR; CRLF/LF tolerated)
 * @param version - MSH-12, for the dictionary (nearest known version is used)
 */
export const describeMessage = (raw: string, version: string): TDescribedSegment[] => {
  let dictionary = dictionaries["2.5.1" as HL7Version];
  try {
    dictionary = dictionaries[findNearestHL7Version((version || "2.5.1") as HL7Version)] ?? dictionary;
  } catch {
    // unknown version string: fall back to 2.5.1 names
  }
  const fieldSeparator = raw.startsWith("MSH") ? raw.charAt(3) || "|" : "|";

  return raw
    .split(/\r\n|\r|\n/)
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const name = line.slice(0, 3);
      const def = dictionary?.segments[name];
      const values = line.split(fieldSeparator).slice(1);
      // MSH-1 is the field separator itself, so MSH's n-th value is field n + 1.
      const offset = name === "MSH" ? 2 : 1;
      const fields = values.map((value, i) => {
        const n = i + offset;
        const field = (def?.fields as Record<string, { desc?: string }> | undefined)?.[String(n)];

        return { position: `${name}-${n}`, name: field?.desc ?? (name.startsWith("Z") ? "(site-defined)" : ""), value };
      });
      if (name === "MSH") {
        fields.unshift({ position: "MSH-1", name: "Field Separator", value: fieldSeparator });
      }

      return { name, description: def?.desc ?? (name.startsWith("Z") ? "Site-defined segment (ignored)" : "Unknown segment"), fields: fields.filter((f) => f.value !== "") };
    });
};
