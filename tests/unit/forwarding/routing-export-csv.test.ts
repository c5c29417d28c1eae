import { describe, expect, it } from "vitest";
import { csvField } from "@/lib/forwarding/export-deliveries";

describe("csvField", () => {
  it("quotes commas, quotes and line breaks (RFC 4180) and leaves plain values alone", () => {
    expect(csvField("MRN001")).toBe("MRN001");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "x"')).toBe('"say ""x"""');
    expect(csvField("two\r\nlines")).toBe('"two\r\nlines"');
  });
  it("defuses values a spreadsheet would run as a formula", () => {
    expect(csvField("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvField("+1")).toBe("'+1");
    expect(csvField("@SUM(1)")).toBe("'@SUM(1)");
    expect(csvField("-12")).toBe("-12");
  });
});
