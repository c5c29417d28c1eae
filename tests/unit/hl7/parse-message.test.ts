import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HL7_NULL } from "@/lib/hl7/adt-event";
import { parseMessage } from "@/lib/hl7/parse-message";

const FIXTURES = path.resolve(import.meta.dirname, "../../fixtures/hl7");
const fixture = (name: string): Buffer => fs.readFileSync(path.join(FIXTURES, name));

/** A segment from positioned fields, e.g. seg("PV1", { 2: "O", 19: "V1" }). */
const seg = (id: string, fields: Record<number, string>, sep = "|"): string => {
  const last = Math.max(...Object.keys(fields).map(Number));

  return [id, ...Array.from({ length: last }, (_, i) => fields[i + 1] ?? "")].join(sep);
};

/** An ADT message from segments; MSH-18 and the byte encoding are parameters. */
const adt = (
  o: { msh18?: string; version?: string; type?: string; pid?: string; pv1?: string; evn?: string | null } = {},
  encoding: BufferEncoding = "utf8",
): Buffer => {
  const msh18 = o.msh18 === undefined ? "" : `||||||${o.msh18}`;
  const segments = [
    `MSH|^~\\&|HIS|GENHOSP^1.2.3^ISO|EC|EC|20240102030405||${o.type ?? "ADT^A04^ADT_A01"}|C1|P|${o.version ?? "2.5.1"}${msh18}`,
    ...(o.evn === null ? [] : [o.evn ?? "EVN|A04|20240102030000"]),
    o.pid ?? "PID|1||12345^^^GENHOSP^MR||Doe^Jane||19800101|F",
    o.pv1 ?? "PV1|1|O|DERM^1^2^GENHOSP||||||||||||||||V1^^^GENHOSP",
  ];

  return Buffer.from(segments.join("\r"), encoding);
};

describe("parseMessage: fixtures", () => {
  it("reads a v2.5.1 A04 (UTF-8) with header, repetitions and the legal name", () => {
    const p = parseMessage(fixture("a04-derm-outpatient.hl7"));
    expect(p.error).toBeUndefined();
    expect(p.encoding).toBe("utf8");
    expect(p.header).toMatchObject({
      sendingApp: "HIS",
      sendingFacility: "GENHOSP",
      receivingApp: "ENCOUNTER_CAPTURE",
      receivingFacility: "GENHOSP",
      dateTime: "20240315090500",
      messageType: "ADT",
      triggerEvent: "A04",
      messageStructure: "ADT_A01",
      controlId: "DERM0001",
      processingId: "P",
      version: "2.5.1",
      acceptAckType: "",
      appAckType: "",
      charset: "UNICODE UTF-8",
    });
    expect(p.adt).toMatchObject({
      event: "A04",
      recordedAt: new Date(2024, 2, 15, 9, 5, 0),
      facilityCode: "GENHOSP",
      identifiers: [
        { id: "100001", authority: "GENHOSP", type: "MR" },
        { id: "9990001", authority: "NATREG", type: "NI" },
      ],
      name: { family: "Müller", given: "Anna", middle: "Maria", suffix: "", prefix: "Dr" },
      birthDate: "19800214",
      sex: "F",
      accountNumber: { id: "ACC100001", authority: "" },
      patientClass: "O",
      location: { pointOfCare: "DERM", room: "D12", bed: "1", facility: "GENHOSP" },
      attendingDoctor: { id: "1234", family: "Weiss", given: "Eva", prefix: "Dr" },
      visitNumber: { id: "V20240001", authority: "GENHOSP" },
      admittedAt: new Date(2024, 2, 15, 9, 0, 0),
      dischargedAt: undefined,
    });
  });

  it("reads a v2.3 A01 in 8859/1 with the visit number only in PID-18", () => {
    const p = parseMessage(fixture("a01-gi-inpatient.hl7"));
    expect(p.error).toBeUndefined();
    expect(p.encoding).toBe("latin1");
    expect(p.header).toMatchObject({ version: "2.3", triggerEvent: "A01", messageStructure: "", charset: "8859/1" });
    expect(p.adt?.name).toMatchObject({ family: "Ødegård", given: "Ingrid" });
    expect(p.adt?.visitNumber.id).toBe("");
    expect(p.adt?.accountNumber).toEqual({ id: "G2024000042", authority: "GENHOSP" });
    expect(p.adt?.location.pointOfCare).toBe("GI");
  });

  it("reads 李 in UTF-8 and picks every PID-3 repetition", () => {
    const p = parseMessage(fixture("a04-wound-care.hl7"));
    expect(p.adt?.name).toMatchObject({ family: "李", given: "明" });
    expect(p.adt?.identifiers.map((i) => i.type)).toEqual(["NI", "MR"]);
  });
});

describe("parseMessage: character sets (MSH-18)", () => {
  const pid = "PID|1||12345^^^GENHOSP^MR||Ødegård^Jürgen||19800101|M";
  it.each([
    ["UNICODE UTF-8", "utf8"],
    ["8859/1", "latin1"],
    ["", "utf8"],
  ] as const)("MSH-18 %j with %s bytes", (msh18, encoding) => {
    const p = parseMessage(adt({ msh18, pid }, encoding));
    expect(p.error).toBeUndefined();
    expect(p.adt?.name).toMatchObject({ family: "Ødegård", given: "Jürgen" });
  });

  it("unset MSH-18 with bytes that are not UTF-8 reads Latin-1", () => {
    const p = parseMessage(adt({ pid }, "latin1"));
    expect(p.encoding).toBe("latin1");
    expect(p.adt?.name.family).toBe("Ødegård");
  });

  it("ASCII keeps a stray 8-bit byte as Latin-1", () => {
    const p = parseMessage(adt({ msh18: "ASCII", pid }, "latin1"));
    expect(p.adt?.name.family).toBe("Ødegård");
  });

  it("UNICODE UTF-8 with invalid bytes is AE 102 at MSH-18", () => {
    const p = parseMessage(adt({ msh18: "UNICODE UTF-8", pid }, "latin1"));
    expect(p.error).toMatchObject({ code: 102, location: "MSH^1^18", ack: "AE" });
    expect(p.header?.controlId).toBe("C1");
  });

  it("an unsupported character set is AR 207 at MSH-18", () => {
    expect(parseMessage(adt({ msh18: "8859/15" })).error).toMatchObject({ code: 207, location: "MSH^1^18", ack: "AR" });
  });

  it("decodes \\X..\\ bytes in the message's character set", () => {
    const utf8 = parseMessage(adt({ msh18: "UNICODE UTF-8", pid: "PID|1||1^^^A^MR||M\\XC3BC\\ller^A" }));
    expect(utf8.adt?.name.family).toBe("Müller");
    const latin1 = parseMessage(adt({ msh18: "8859/1", pid: "PID|1||1^^^A^MR||M\\XFC\\ller^A" }));
    expect(latin1.adt?.name.family).toBe("Müller");
  });
});

describe("parseMessage: escapes, nulls, separators", () => {
  it("decodes \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\.br\\ and drops formatting escapes", () => {
    const p = parseMessage(adt({ pid: "PID|1||1^^^A^MR||A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\F^x\\.br\\y\\H\\z\\N\\" }));
    expect(p.adt?.name.family).toBe("A|B^C&D~E\\F");
    expect(p.adt?.name.given).toBe("x\ny" + "z");
  });

  it("keeps an unknown or unterminated escape literally", () => {
    const p = parseMessage(adt({ pid: "PID|1||1^^^A^MR||A\\Q\\B^C\\D" }));
    expect(p.adt?.name).toMatchObject({ family: "A\\Q\\B", given: "C\\D" });
  });

  it("uses the message's own delimiters", () => {
    const text = [
      "MSH#*@!%#HIS#GENHOSP#EC#EC#20240102030405##ADT*A04#C9#P#2.5.1",
      "EVN#A04#20240102030000",
      "PID#1##7***GENHOSP%X*MR@8***OTHER##Doe!S!Smith*Jo",
      seg("PV1", { 1: "1", 2: "O", 3: "DERM*1", 19: "V1" }, "#"),
    ].join("\r");
    const p = parseMessage(Buffer.from(text));
    expect(p.error).toBeUndefined();
    expect(p.adt?.identifiers).toEqual([
      { id: "7", authority: "GENHOSP", type: "MR" },
      { id: "8", authority: "OTHER", type: "" },
    ]);
    expect(p.adt?.name.family).toBe("Doe*Smith");
  });

  it("tolerates LF and CRLF segment terminators", () => {
    const p = parseMessage(Buffer.from(adt().toString().replaceAll("\r", "\r\n")));
    expect(p.error).toBeUndefined();
    expect(parseMessage(Buffer.from(adt().toString().replaceAll("\r", "\n"))).adt?.event).toBe("A04");
  });

  it("tells the HL7 null \"\" (delete) from an empty field (not sent)", () => {
    const pv1 = seg("PV1", { 1: "1", 2: '""', 19: "V1", 44: '""' });
    const p = parseMessage(adt({ pid: 'PID|1||1^^^A^MR||Doe^J||""|', pv1 }));
    expect(p.adt).toMatchObject({ birthDate: HL7_NULL, sex: "", patientClass: HL7_NULL, admittedAt: null });
    expect(p.adt?.dischargedAt).toBeUndefined();
  });

  it("reads dates with offsets and partial precision", () => {
    const p = parseMessage(adt({ evn: "EVN|A04|202401020304-0500", pid: "PID|1||1^^^A^MR||Doe^J||1980|F" }));
    expect(p.adt?.recordedAt.toISOString()).toBe("2024-01-02T08:04:00.000Z");
    expect(p.adt?.birthDate).toBe("");
  });

  it("falls back to MSH-7 without EVN, and to EVN-1 for the event in v2.3", () => {
    expect(parseMessage(adt({ evn: null })).adt?.recordedAt).toEqual(new Date(2024, 0, 2, 3, 4, 5));
    const p = parseMessage(adt({ type: "ADT", version: "2.3", evn: "EVN|A08|20240102030000" }));
    expect(p.adt?.event).toBe("A08");
  });
});

describe("parseMessage: errors carry code, location and ACK", () => {
  it.each([
    ["no MSH first", Buffer.from("PID|1||1\rMSH|^~\\&|"), 100, "MSH^1", "AR"],
    ["empty frame", Buffer.alloc(0), 100, "MSH^1", "AR"],
    ["MSH-9 empty", adt({ type: "" }), 101, "MSH^1^9", "AR"],
    ["MSH-12 2.2", adt({ version: "2.2" }), 203, "MSH^1^12", "AR"],
    ["ORU", adt({ type: "ORU^R01^ORU_R01" }), 200, "MSH^1^9^1^1", "AR"],
    ["A09 (not applied here)", adt({ type: "ADT^A09^ADT_A09" }), 201, "MSH^1^9^1^2", "AR"],
    ["no PID", Buffer.from("MSH|^~\\&|A|F|||20240101||ADT^A01|C|P|2.5\rPV1|1|I"), 100, "PID^1", "AE"],
    ["PID-3 empty", adt({ pid: "PID|1||||Doe^J" }), 101, "PID^1^3", "AE"],
    ["PID-5 empty", adt({ pid: "PID|1||1^^^A^MR||" }), 101, "PID^1^5", "AE"],
    ["PID-7 invalid", adt({ pid: "PID|1||1^^^A^MR||Doe^J||19801340" }), 102, "PID^1^7", "AE"],
    ["PID-8 too long", adt({ pid: "PID|1||1^^^A^MR||Doe^J||19800101|Female" }), 102, "PID^1^8", "AE"],
    ["PID-8 not a letter", adt({ pid: "PID|1||1^^^A^MR||Doe^J||19800101|1" }), 102, "PID^1^8", "AE"],
    ["EVN-2 invalid", adt({ evn: "EVN|A04|yesterday" }), 102, "EVN^1^2", "AE"],
    ["PV1-44 invalid", adt({ pv1: seg("PV1", { 2: "O", 19: "V1", 44: "2024-01-01" }) }), 102, "PV1^1^44", "AE"],
    ["no visit number", adt({ pv1: "PV1|1|O|DERM" }), 101, "PV1^1^19", "AE"],
  ] as const)("%s → %i at %s (%s)", (_name, raw, code, location, ack) => {
    const p = parseMessage(raw);
    expect(p.adt).toBeUndefined();
    expect(p.error).toMatchObject({ code, location, ack });
  });

  it("MSH-10 empty is AE 101 at MSH-10, with the header still readable", () => {
    const p = parseMessage(Buffer.from("MSH|^~\\&|A|F|||20240101||ADT^A01||P|2.5"));
    expect(p.error).toMatchObject({ code: 101, location: "MSH^1^10", ack: "AE" });
    expect(p.header?.sendingFacility).toBe("F");
  });

  it("error messages name positions, never values", () => {
    const p = parseMessage(adt({ pid: "PID|1||1^^^A^MR||Doe^J||SECRET1980" }));
    expect(p.error?.message).toContain("PID-7");
    expect(p.error?.message).not.toContain("SECRET");
  });
});
