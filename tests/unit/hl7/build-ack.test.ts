import fs from "node:fs";
import path from "node:path";
import { HL7Message } from "hl7v2";
import { describe, expect, it } from "vitest";
import { buildAck } from "@/lib/hl7/build-ack";
import { Hl7Error } from "@/lib/hl7/hl7-error";
import { parseMessage } from "@/lib/hl7/parse-message";

const FIXTURES = path.resolve(import.meta.dirname, "../../fixtures/hl7");
const header = (name: string) => parseMessage(fs.readFileSync(path.join(FIXTURES, name))).header;
const NOW = new Date(2024, 4, 6, 7, 8, 9);
const offset = (): string => {
  const m = -NOW.getTimezoneOffset();
  const abs = Math.abs(m);

  return `${m < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
};
const segments = (ack: string): string[] => ack.split("\r");

describe("buildAck", () => {
  it("AA: swaps MSH-3/4 with MSH-5/6, new MSH-10, MSH-9 ACK^event^ACK, MSA-2 = inbound MSH-10", () => {
    const ack = buildAck({ header: header("a04-derm-outpatient.hl7"), code: "AA", now: NOW, controlId: "ACK1" });
    expect(segments(ack)).toEqual([
      `MSH|^~\\&|ENCOUNTER_CAPTURE|GENHOSP|HIS|GENHOSP|20240506070809${offset()}||ACK^A04^ACK|ACK1|P|2.5.1||||||UNICODE UTF-8`,
      "MSA|AA|DERM0001",
      "",
    ]);
  });

  it("copies MSH-3..6 as raw field text (all HD components)", () => {
    const p = parseMessage(Buffer.from("MSH|^~\\&|HIS^1.2.3^ISO|GEN^2.16.1^ISO|EC|EC^9^ISO|20240101||ADT^A04|X|T|2.4"));
    const msh = segments(buildAck({ header: p.header, code: "AA", controlId: "A" }))[0]!.split("|");
    expect(msh.slice(2, 6)).toEqual(["EC", "EC^9^ISO", "HIS^1.2.3^ISO", "GEN^2.16.1^ISO"]);
    expect(msh[10]).toBe("T");
    expect(msh[11]).toBe("2.4");
  });

  it("AE: MSA-3 text and ERR-2 location, ERR-3 code^text^HL70357, ERR-4 E", () => {
    const error = new Hl7Error(101, "PID^1^3", "PID-3 patient identifier list is empty");
    const ack = buildAck({ header: header("a04-derm-outpatient.hl7"), code: "AE", text: error.message, error, now: NOW });
    const [, msa, err] = segments(ack);
    expect(msa).toBe("MSA|AE|DERM0001|PID-3 patient identifier list is empty");
    expect(err).toBe("ERR||PID^1^3|101^Required field missing^HL70357|E||||PID-3 patient identifier list is empty");
  });

  it("before v2.5 also fills ERR-1 (ELD), the only ERR field those versions define", () => {
    const error = new Hl7Error(102, "PID^1^7", "PID-7 is not a valid date");
    const ack = buildAck({ header: header("a01-gi-inpatient.hl7"), code: "AE", error });
    expect(segments(ack)[2]).toBe(
      "ERR|PID^1^7^102&Data type error&HL70357|PID^1^7|102^Data type error^HL70357|E||||PID-7 is not a valid date",
    );
  });

  it("answers AR with an empty MSA-2 when no MSH could be read", () => {
    const error = new Hl7Error(100, "MSH^1", "the message does not start with an MSH segment", "AR");
    const ack = buildAck({ header: undefined, code: "AR", error, controlId: "Z" });
    const [msh, msa] = segments(ack);
    expect(msh).toMatch(/^MSH\|\^~\\&\|\|\|\|\|\d{14}[+-]\d{4}\|\|ACK\|Z\|P\|2\.5\.1$/);
    expect(msa).toBe("MSA|AR|");
  });

  it("uses CA/CE/CR in enhanced mode when an accept ACK is wanted (MSH-15 AL/ER/SU or empty)", () => {
    for (const ack15and16 of ["AL|NE", "AL|AL", "ER|", "|AL"]) {
      const p = parseMessage(Buffer.from(`MSH|^~\\&|A|F|R|G|20240101||ADT^A08|E1|P|2.5.1|||${ack15and16}`));
      expect(segments(buildAck({ header: p.header, code: "AA" }))[1]).toBe("MSA|CA|E1");
      expect(segments(buildAck({ header: p.header, code: "AE" }))[1]).toBe("MSA|CE|E1");
      expect(segments(buildAck({ header: p.header, code: "AR" }))[1]).toBe("MSA|CR|E1");
    }
  });

  it("answers with the application ACK when MSH-15 is NE (only MSH-16 asks for an ACK)", () => {
    const p = parseMessage(Buffer.from("MSH|^~\\&|A|F|R|G|20240101||ADT^A08|E2|P|2.5.1|||NE|AL"));
    expect(segments(buildAck({ header: p.header, code: "AA" }))[1]).toBe("MSA|AA|E2");
  });

  it("escapes delimiters in text and control id", () => {
    const p = parseMessage(Buffer.from("MSH|^~\\&|A|F|R|G|20240101||ADT^A08|a\\S\\b|P|2.5.1"));
    expect(p.header?.controlId).toBe("a^b");
    const ack = buildAck({ header: p.header, code: "AE", text: "x|y^z~w\\v&u\nt" });
    expect(segments(ack)[1]).toBe("MSA|AE|a\\S\\b|x\\F\\y\\S\\z\\R\\w\\E\\v\\T\\u\\.br\\t");
  });

  it("generates unique control ids of at most 20 characters", () => {
    const ids = new Set(Array.from({ length: 500 }, () => buildAck({ header: undefined, code: "AA" }).split("|")[9]));
    expect(ids.size).toBe(500);
    for (const id of ids) {
      expect(id!.length).toBeLessThanOrEqual(20);
    }
  });

  it("is readable by an independent parser (hl7v2)", () => {
    const error = new Hl7Error(101, "PID^1^5", "PID-5 patient name is empty");
    const ack = buildAck({ header: header("a04-derm-outpatient.hl7"), code: "AE", text: error.message, error });
    const m = HL7Message.parse(ack);
    expect(m.messageType).toBe("ACK^A04");
    expect(m.getSegment("MSA")?.field(1).getValue()).toBe("AE");
    expect(m.getSegment("MSA")?.field(2).getValue()).toBe("DERM0001");
    expect(m.getSegment("ERR")?.field(3).getValue(1)).toBe("101");
    expect(m.getSegment("ERR")?.field(2).getValue(1)).toBe("PID");
  });
});
