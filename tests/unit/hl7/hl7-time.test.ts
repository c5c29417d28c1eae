import { describe, expect, it } from "vitest";
import { formatHl7DateTime, parseHl7DateTime } from "@/lib/hl7/hl7-time";

describe("parseHl7DateTime", () => {
  it.each([
    ["2024", new Date(2024, 0, 1)],
    ["202402", new Date(2024, 1, 1)],
    ["20240229", new Date(2024, 1, 29)],
    ["2024022913", new Date(2024, 1, 29, 13)],
    ["202402291314", new Date(2024, 1, 29, 13, 14)],
    ["20240229131415", new Date(2024, 1, 29, 13, 14, 15)],
    ["20240229131415.5", new Date(2024, 1, 29, 13, 14, 15, 500)],
  ])("%s (local time)", (text, expected) => {
    expect(parseHl7DateTime(text)).toEqual(expected);
  });

  it("honours an explicit offset", () => {
    expect(parseHl7DateTime("20240102030405+0130")?.toISOString()).toBe("2024-01-02T01:34:05.000Z");
    expect(parseHl7DateTime("20240102030405.1234-0500")?.toISOString()).toBe("2024-01-02T08:04:05.123Z");
  });

  it.each(["", "2024-01-02", "20230229", "20241301", "2024010225", "20240101126000", "2024.5", "20240101+2500", "abc"])(
    "rejects %j",
    (text) => {
      expect(parseHl7DateTime(text)).toBeUndefined();
    },
  );

  it("formats with the local offset and round-trips", () => {
    const d = new Date(2024, 5, 7, 8, 9, 10);
    const text = formatHl7DateTime(d);
    expect(text).toMatch(/^20240607080910[+-]\d{4}$/);
    expect(parseHl7DateTime(text)).toEqual(d);
  });
});
