import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { describeMessage } from "@/lib/hl7/describe-message";

describe("describeMessage", () => {
  const raw = fs.readFileSync("tests/fixtures/hl7/a04-derm-outpatient.hl7", "utf8");

  it("names every segment and field by position, MSH-1 and MSH-2 included", () => {
    const segments = describeMessage(raw, "2.5.1");
    expect(segments.map((s) => s.name)).toEqual(["MSH", "EVN", "PID", "PV1"]);
    const msh = segments[0]!;
    expect(msh.fields[0]).toEqual({ position: "MSH-1", name: "Field Separator", value: "|" });
    expect(msh.fields.find((f) => f.position === "MSH-2")?.value).toBe("^~\\&");
    expect(msh.fields.find((f) => f.position === "MSH-10")).toMatchObject({ name: "Message Control ID", value: "DERM0001" });
    const pid = segments[2]!;
    expect(pid.description).toBe("Patient Identification");
    expect(pid.fields.find((f) => f.position === "PID-3")).toMatchObject({ name: "Patient Identifier List" });
    expect(pid.fields.find((f) => f.position === "PID-5")?.value).toBe("Müller^Anna^Maria^^Dr^^L");
    expect(segments[3]!.fields.find((f) => f.position === "PV1-19")).toMatchObject({ name: "Visit Number" });
  });

  it("labels Z-segments and survives an unknown version", () => {
    const segments = describeMessage(`${raw.trimEnd()}\rZXY|1|local`, "9.9");
    expect(segments.at(-1)).toMatchObject({ name: "ZXY", description: "Site-defined segment (ignored)" });
    expect(segments.at(-1)!.fields[0]).toMatchObject({ position: "ZXY-1", name: "(site-defined)", value: "1" });
  });
});
