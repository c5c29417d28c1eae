/**
 * Parsing of every supported ADT event: which segments each needs, MRG (prior identifiers, account, visit), PV1-6
 * (prior location), and the events that carry no visit.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SUPPORTED_ADT_EVENTS } from "@/lib/hl7/adt-event";
import { parseMessage } from "@/lib/hl7/parse-message";

const FIXTURES = path.resolve(import.meta.dirname, "../../fixtures/hl7");
const fixture = (name: string): Buffer => fs.readFileSync(path.join(FIXTURES, name));

const message = (event: string, structure: string, ...segments: string[]): Buffer =>
  Buffer.from(
    [`MSH|^~\\&|HIS|GENHOSP|EC|EC|20240102030405||ADT^${event}^${structure}|C1|P|2.5.1`, `EVN|${event}|20240102030000`, ...segments].join(
      "\r",
    ),
  );
const PID = "PID|1||12345^^^GENHOSP^MR||Doe^Jane||19800101|F";
const PV1 = "PV1|1|O|DERM^1^2^GENHOSP||||||||||||||||V1^^^GENHOSP";

describe("parseMessage: every supported event", () => {
  it.each(SUPPORTED_ADT_EVENTS.map((e) => [e]))("%s with PID, PV1 and MRG is accepted", (event) => {
    const p = parseMessage(message(event, "ADT_A01", PID, PV1, "MRG|999^^^GENHOSP^MR||ACC9||V9"));
    expect(p.error).toBeUndefined();
    expect(p.adt?.event).toBe(event);
  });
});

describe("parseMessage: MRG and PV1-6", () => {
  it("A40: MRG-1 repetitions with authority (HD.1, else HD.2) and type; PV1 optional and not read", () => {
    const p = parseMessage(message("A40", "ADT_A39", PID, "MRG|100099^^^GENHOSP^MR~X9^^^&1.2.3&ISO^NI||ACC1^^^GENHOSP||V77^^^GENHOSP"));
    expect(p.error).toBeUndefined();
    expect(p.adt?.prior).toEqual({
      identifiers: [
        { id: "100099", authority: "GENHOSP", type: "MR" },
        { id: "X9", authority: "1.2.3", type: "NI" },
      ],
      accountNumber: { id: "ACC1", authority: "GENHOSP" },
      visitNumber: { id: "V77", authority: "GENHOSP" },
    });
    expect(p.adt?.visitNumber).toEqual({ id: "", authority: "" });
  });

  it("A40 with a PV1: only PV1-3.4 (facility) is read from it", () => {
    const p = parseMessage(message("A40", "ADT_A39", PID, "MRG|1^^^GENHOSP^MR", "PV1|1|I|W^1^1^NORTH||||||||||||||||V1"));
    expect(p.adt).toMatchObject({ facilityCode: "NORTH", patientClass: "", visitNumber: { id: "" } });
  });

  it("A40 from a fixture: survivor in PID-3, prior in MRG-1", () => {
    const p = parseMessage(fixture("a40-merge-into-100001.hl7"));
    expect(p.adt?.identifiers[0]).toEqual({ id: "100001", authority: "GENHOSP", type: "MR" });
    expect(p.adt?.prior.identifiers).toEqual([{ id: "100099", authority: "GENHOSP", type: "MR" }]);
  });

  it("A12: PV1-6 prior location next to PV1-3", () => {
    const p = parseMessage(fixture("a12-cancel-transfer.hl7"));
    expect(p.adt?.location).toEqual({ pointOfCare: "GI", room: "G5", bed: "1", facility: "GENHOSP" });
    expect(p.adt?.priorLocation).toEqual({ pointOfCare: "DERM", room: "D14", bed: "2", facility: "GENHOSP" });
  });

  it("A06: MRG optional; MRG-5 read as the prior visit number", () => {
    expect(parseMessage(message("A06", "ADT_A06", PID, PV1)).adt?.prior.visitNumber).toEqual({ id: "", authority: "" });
    const p = parseMessage(message("A06", "ADT_A06", PID, "MRG|12345^^^GENHOSP^MR||||V0^^^GENHOSP", PV1));
    expect(p.adt?.prior.visitNumber).toEqual({ id: "V0", authority: "GENHOSP" });
  });

  it("A28/A31 need no PV1 and no visit number (PV1|1|N is ignored)", () => {
    for (const event of ["A28", "A31"]) {
      expect(parseMessage(message(event, "ADT_A05", PID)).error).toBeUndefined();
      const p = parseMessage(message(event, "ADT_A05", PID, "PV1|1|N"));
      expect(p.error).toBeUndefined();
      expect(p.adt?.patientClass).toBe("");
    }
  });

  it("A11/A12/A13 accept an empty PID-5 (cancels do not touch demographics)", () => {
    for (const event of ["A11", "A12", "A13"]) {
      expect(parseMessage(message(event, "ADT_A09", "PID|1||12345^^^GENHOSP^MR", PV1)).error).toBeUndefined();
    }
    expect(parseMessage(message("A08", "ADT_A01", "PID|1||12345^^^GENHOSP^MR", PV1)).error).toMatchObject({
      code: 101,
      location: "PID^1^5",
    });
  });
});

describe("parseMessage: event-specific errors", () => {
  it.each([
    ["A40 without MRG", message("A40", "ADT_A39", PID), 100, "MRG^1"],
    ["A47 without MRG", message("A47", "ADT_A30", PID), 100, "MRG^1"],
    ["A40 with MRG-1 empty", message("A40", "ADT_A39", PID, "MRG|||ACC1"), 101, "MRG^1^1"],
    ["A34 with MRG-1 empty", message("A34", "ADT_A30", PID, "MRG|"), 101, "MRG^1^1"],
    ["A35 with MRG-3 empty", message("A35", "ADT_A30", PID, "MRG|12345^^^GENHOSP^MR"), 101, "MRG^1^3"],
    ["A02 without PV1", message("A02", "ADT_A02", PID), 100, "PV1^1"],
    ["A03 without a visit number", message("A03", "ADT_A03", PID, "PV1|1|O|DERM"), 101, "PV1^1^19"],
    ["A31 with PID-5 empty", message("A31", "ADT_A05", "PID|1||1^^^A^MR"), 101, "PID^1^5"],
  ] as const)("%s → %i at %s (AE)", (_name, raw, code, location) => {
    const p = parseMessage(raw);
    expect(p.adt).toBeUndefined();
    expect(p.error).toMatchObject({ code, location, ack: "AE" });
  });
});

describe("names: every XPN/XCN component, for the UI and DICOM PN", () => {
  it("PID-5 and PV1-7 with suffix and prefix render in display and PN order", async () => {
    const { patientData, toPersonName } = await import("@/lib/worklist/adt-context");
    const { formatDicomName, formatDisplayName } = await import("@/lib/worklist/format-name");
    const p = parseMessage(
      message("A04", "ADT_A01", "PID|1||1^^^A^MR||van der Berg^Anna^Maria^Jr^Dr^^L||19800101|F", "PV1|1|O|DERM||||7^O\\S\\Neil^Pat^Q^III^Prof||||||||||||V1"),
    );
    const data = patientData(p.adt!, "1");
    expect(formatDisplayName(data)).toBe("VAN DER BERG, Dr Anna Maria, Jr");
    expect(formatDicomName(data)).toBe("van der Berg^Anna^Maria^Dr^Jr");
    expect(toPersonName(p.adt!.attendingDoctor)).toBe("O Neil^Pat^Q^Prof^III");
  });
});
