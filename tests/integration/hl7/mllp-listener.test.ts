/**
 * End to end: the listener in-process on port 0, a real database (TEST_DB), the fixtures sent by Debian's
 * `mllp_send` (python3-hl7). Tests run in order and build on each other's rows.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frame } from "@/lib/hl7/mllp-framer";
import type { TMllpListener } from "@/lib/workers/mllp-listener";
import { connectMllp, fieldOf } from "../../support/mllp-client";
import { hl7Fixture as fixture, MLLP_SEND, startMllpSendHarness, type TMllpSendHarness } from "../../support/mllp-send-harness";
import type { TTestDatabase } from "../../support/test-db";

const FIXTURES = path.resolve(import.meta.dirname, "../../fixtures/hl7");
const run = promisify(execFile);

describe("MLLP listener with mllp_send", () => {
  let h: TMllpSendHarness;
  let t: TTestDatabase;
  let listener: TMllpListener;
  let departments: TMllpSendHarness["departments"];
  const mllpSend = (payloads: Buffer[], encoding?: BufferEncoding): Promise<string[]> => h.mllpSend(payloads, encoding);
  const sendOne = (payload: Buffer, encoding?: BufferEncoding): Promise<string> => h.sendOne(payload, encoding);
  const patient = (mrn: string) => t.db.patient.findUniqueOrThrow({ where: { mrn_issuer: { mrn, issuer: "GENHOSP" } } });
  const encounter = (visitNumber: string) =>
    t.db.encounter.findUniqueOrThrow({ where: { visitNumber_visitIssuer: { visitNumber, visitIssuer: "GENHOSP" } } });

  beforeAll(async () => {
    h = await startMllpSendHarness();
    ({ t, listener, departments } = h);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("A04 dermatology: AA after commit, patient + encounter + message rows, heartbeat", async () => {
    const ack = await sendOne(fixture("a04-derm-outpatient.hl7"));
    expect(fieldOf(ack, "MSA", 1)).toBe("AA");
    expect(fieldOf(ack, "MSA", 2)).toBe("DERM0001");
    expect(fieldOf(ack, "MSH", 9)).toBe("ACK^A04^ACK");
    const p = await patient("100001");
    expect(p).toMatchObject({ familyName: "Müller", givenName: "Anna", middleName: "Maria", prefix: "Dr" });
    expect(p).toMatchObject({ birthDate: "19800214", sex: "F", searchText: "muller anna maria 100001" });
    const e = await encounter("V20240001");
    expect(e).toMatchObject({ patientId: p.id, pointOfCare: "DERM", room: "D12", bed: "1", patientClass: "O" });
    expect(e).toMatchObject({ attendingDoctor: "Weiss^Eva^^Dr", status: "active", departmentId: departments.derm });
    expect(e.admittedAt).toEqual(new Date(2024, 2, 15, 9, 0, 0));
    expect(e.lastEventAt).toEqual(new Date(2024, 2, 15, 9, 5, 0));
    const facility = await t.db.facility.findUniqueOrThrow({ where: { code: "GENHOSP" } });
    expect(facility.mrnAuthority).toBe("GENHOSP");
    expect(e.facilityId).toBe(facility.id);
    const row = await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "DERM0001" } });
    expect(row).toMatchObject({ status: "processed", ackCode: "AA", ack, messageType: "ADT", triggerEvent: "A04" });
    expect(row).toMatchObject({ sendingApp: "HIS", sendingFacility: "GENHOSP", version: "2.5.1", patientId: p.id });
    // mllp_send strips the final segment's CR before framing (python3-hl7 read_stream), so compare without it.
    expect(row.raw).toBe(fixture("a04-derm-outpatient.hl7").toString("utf8").replace(/\r$/, ""));
    expect(await t.db.workerHeartbeat.count({ where: { name: "mllp-listener" } })).toBe(1);
    expect(await t.db.auditEvent.count({ where: { action: "hl7.received", patientId: p.id } })).toBe(1);
  });

  it("A01 GI in v2.3 / 8859/1: Latin-1 name, visit number from PID-18, generic location mapping", async () => {
    const ack = await sendOne(fixture("a01-gi-inpatient.hl7"), "latin1");
    expect([fieldOf(ack, "MSA", 1), fieldOf(ack, "MSA", 2), fieldOf(ack, "MSH", 18)]).toEqual(["AA", "GI0001", "8859/1"]);
    const p = await patient("100002");
    expect(p).toMatchObject({ familyName: "Ødegård", givenName: "Ingrid", searchText: "odegard ingrid 100002" });
    const e = await encounter("G2024000042");
    expect(e).toMatchObject({ patientId: p.id, patientClass: "I", pointOfCare: "GI", departmentId: departments.gi });
  });

  it("A04 wound care: 李 in UTF-8, MRN chosen by the facility's authority, unmapped location", async () => {
    const ack = await sendOne(fixture("a04-wound-care.hl7"));
    expect([fieldOf(ack, "MSA", 1), fieldOf(ack, "MSA", 2)]).toEqual(["AA", "WOUND0001"]);
    const p = await patient("100003");
    expect(p).toMatchObject({ familyName: "李", givenName: "明", sex: "M" });
    expect(await encounter("V20240003")).toMatchObject({ pointOfCare: "WOUND", departmentId: null, patientId: p.id });
  });

  it("A08 updates the name and location and keeps fields it does not send", async () => {
    const ack = await sendOne(fixture("a08-derm-update.hl7"));
    expect([fieldOf(ack, "MSA", 1), fieldOf(ack, "MSA", 2)]).toEqual(["AA", "DERM0002"]);
    const p = await patient("100001");
    expect(p).toMatchObject({ familyName: "Müller-Schmidt", birthDate: "19800214" });
    expect(p.searchText).toBe("muller-schmidt anna maria 100001");
    const e = await encounter("V20240001");
    expect(e).toMatchObject({ room: "D14", bed: "2", admittedAt: new Date(2024, 2, 15, 9, 0, 0) });
    expect(await t.db.patient.count()).toBe(3);
  });

  it("a duplicate gets the stored ACK again and is applied once", async () => {
    const first = await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "DERM0001" } });
    const before = await encounter("V20240001");
    const audits = await t.db.auditEvent.count();
    const ack = await sendOne(fixture("a04-derm-outpatient.hl7"));
    expect(ack).toBe(first.ack);
    expect(await t.db.hl7Message.count({ where: { controlId: "DERM0001" } })).toBe(1);
    expect((await encounter("V20240001")).updatedAt).toEqual(before.updatedAt);
    expect((await patient("100001")).familyName).toBe("Müller-Schmidt");
    expect(await t.db.auditEvent.count()).toBe(audits);
  });

  it("the README's `mllp_send --loose` demo path works, and its resend counts as the same message", async () => {
    const file = path.join(FIXTURES, "a04-derm-outpatient.hl7");
    const { stdout } = await run(MLLP_SEND, ["--loose", "-f", file, "-p", String(listener.port), "127.0.0.1"]);
    const first = await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "DERM0001" } });
    expect(stdout).toContain(first.ack);
  });

  it("an older A08 arriving late is acknowledged but does not overwrite", async () => {
    const ack = await sendOne(fixture("a08-derm-older.hl7"));
    expect([fieldOf(ack, "MSA", 1), fieldOf(ack, "MSA", 2)]).toEqual(["AA", "DERM0003"]);
    expect(fieldOf(ack, "MSA", 3)).toContain("not applied");
    expect((await patient("100001")).familyName).toBe("Müller-Schmidt");
    expect((await encounter("V20240001")).room).toBe("D14");
    expect(await t.db.hl7Message.findFirst({ where: { controlId: "DERM0003" } })).toMatchObject({ status: "processed" });
  });

  it("a message without PID-3 gets AE with ERR 101 at PID-3 and is kept", async () => {
    const ack = await sendOne(fixture("a04-missing-pid3.hl7"));
    expect([fieldOf(ack, "MSA", 1), fieldOf(ack, "MSA", 2)]).toEqual(["AE", "BAD0001"]);
    expect([fieldOf(ack, "ERR", 2), fieldOf(ack, "ERR", 3), fieldOf(ack, "ERR", 4)]).toEqual([
      "PID^1^3",
      "101^Required field missing^HL70357",
      "E",
    ]);
    const row = await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "BAD0001" } });
    expect(row).toMatchObject({ status: "error", ackCode: "AE", ack, patientId: null });
    expect(row.error).toContain("PID^1^3");
  });

  it("the corrected resend of a failed message is processed over the same row", async () => {
    const failed = await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "BAD0001" } });
    const fixed = Buffer.from(fixture("a04-missing-pid3.hl7").toString().replace("PID|1||||", "PID|1||100009^^^GENHOSP^MR||"));
    const ack = await sendOne(fixed);
    expect(fieldOf(ack, "MSA", 1)).toBe("AA");
    const row = await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "BAD0001" } });
    expect(row).toMatchObject({ id: failed.id, status: "processed", error: "" });
    expect(await t.db.patient.count({ where: { mrn: "100009" } })).toBe(1);
  });

  it("an ORU is rejected with AR 200 and kept", async () => {
    const ack = await sendOne(fixture("oru-r01.hl7"));
    expect([fieldOf(ack, "MSA", 1), fieldOf(ack, "MSA", 2), fieldOf(ack, "ERR", 3)]).toEqual([
      "AR",
      "LAB0001",
      "200^Unsupported message type^HL70357",
    ]);
    expect(await t.db.hl7Message.findFirst({ where: { controlId: "LAB0001" } })).toMatchObject({ status: "rejected" });
  });

  it("a frame without MSH gets AR with an empty MSA-2 and is kept", async () => {
    const ack = await sendOne(Buffer.from("HELLO|this is not HL7"));
    expect([fieldOf(ack, "MSA", 1), fieldOf(ack, "MSA", 2), fieldOf(ack, "ERR", 2)]).toEqual(["AR", "", "MSH^1"]);
    const row = await t.db.hl7Message.findFirstOrThrow({ where: { raw: "HELLO|this is not HL7" } });
    expect(row).toMatchObject({ status: "rejected", controlId: null, ackCode: "AR" });
  });

  it("a reused control id with different content gets AE 207 and is kept apart", async () => {
    const changed = Buffer.from(fixture("a04-wound-care.hl7").toString().replace("WOUND^W1", "WOUND^W7"));
    const ack = await sendOne(changed);
    expect([fieldOf(ack, "MSA", 1), fieldOf(ack, "MSA", 2)]).toEqual(["AE", "WOUND0001"]);
    expect(fieldOf(ack, "ERR", 3)).toBe("207^Application internal error^HL70357");
    expect(fieldOf(ack, "MSA", 3)).toContain("duplicate");
    expect(await t.db.hl7Message.count({ where: { controlId: "WOUND0001" } })).toBe(1);
    const kept = await t.db.hl7Message.findFirstOrThrow({ where: { controlId: null, triggerEvent: "A04", status: "rejected" } });
    expect(kept.raw).toContain("WOUND^W7");
    expect((await encounter("V20240003")).room).toBe("W1");
  });

  it("several messages in one mllp_send run are answered in order", async () => {
    const base = fixture("a08-derm-update.hl7").toString();
    const messages = [1, 2, 3].map((i) =>
      Buffer.from(
        base
          .replace("DERM0002", `SEQ${i}`)
          .replaceAll("20240316110000", `2024031612000${i}`)
          .replace("Müller-Schmidt", `Name${i}`),
      ),
    );
    const acks = await mllpSend(messages);
    expect(acks.map((a) => `${fieldOf(a, "MSA", 1)} ${fieldOf(a, "MSA", 2)}`)).toEqual(["AA SEQ1", "AA SEQ2", "AA SEQ3"]);
    expect((await patient("100001")).familyName).toBe("Name3");
  });

  it("pipelined messages on one connection are processed one at a time, in order", async () => {
    const client = await connectMllp(listener.port);
    const base = fixture("a04-wound-care.hl7").toString().replace("ADT^A04", "ADT^A08").replace("EVN|A04", "EVN|A08");
    const ids = Array.from({ length: 20 }, (_, i) => `PIPE${i}`);
    const frames = ids.map((id, i) => {
      const at = `20240318${String(i).padStart(2, "0")}0000`;
      const text = base.replace("WOUND0001", id).replaceAll("20240317141000", at).replace("李^明", `李^明${i}`);

      return frame(Buffer.from(text));
    });
    client.write(Buffer.concat(frames));
    const acks = await Promise.all(ids.map((id) => client.ackFor(id)));
    expect(acks.every((a) => fieldOf(a, "MSA", 1) === "AA")).toBe(true);
    expect(client.acks.map((a) => fieldOf(a, "MSA", 2))).toEqual(ids);
    expect((await patient("100003")).givenName).toBe("明19");
    await client.close();
  });
});
