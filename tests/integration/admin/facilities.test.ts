/**
 * Facility administration against the real database: a facility configured before its feed starts decides which
 * PID-3 repetition becomes the MRN; changing the authority later says how many patients are keyed on the old one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleInbound } from "@/lib/hl7/handle-inbound";
import { saveFacility } from "@/lib/worklist/save-facility";
import { fieldOf } from "../../support/mllp-client";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const a04 = (id: string, pid3: string): Buffer =>
  Buffer.from(
    [
      `MSH|^~\\&|HIS|NORTH|EC|EC|20260301100000||ADT^A04^ADT_A01|${id}|P|2.5.1`,
      `EVN|A04|20260301100000`,
      `PID|1||${pid3}||Nilsen^Kari||19750505|F`,
      `PV1|1|O|DERM^1^1^NORTH||||||||||||||||${id}-V^^^NORTH`,
    ].join("\r"),
  );

describe("facilities", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  it("a facility set up before its first message keys patients on the configured MRN authority", async () => {
    expect(await saveFacility(t.db, { code: "NORTH", name: "North Hospital", mrnAuthority: "NORTHMRN", mrnAuthorityOid: "2.16.578.1.12.4.1.4.1" })).toEqual({
      created: true,
      patientsUnderPreviousAuthority: 0,
    });
    // The first repetition is a national id typed MR by a sloppy sender; the facility's authority still wins.
    const ack = await handleInbound(t.db, a04("F1", "01017512345^^^NATIONAL^MR~N-4711^^^NORTHMRN^PI"));
    expect(fieldOf(ack.toString(), "MSA", 1)).toBe("AA");
    const patients = await t.db.patient.findMany({ where: { familyName: "Nilsen" } });
    expect(patients.map((p) => [p.mrn, p.issuer])).toEqual([["N-4711", "NORTHMRN"]]);
    expect(await t.db.facility.findUniqueOrThrow({ where: { code: "NORTH" } })).toMatchObject({
      name: "North Hospital",
      mrnAuthorityOid: "2.16.578.1.12.4.1.4.1",
    });
  });

  it("changing the authority reports the patients keyed on the previous one", async () => {
    const result = await saveFacility(t.db, { code: "NORTH", name: "North Hospital", mrnAuthority: "NATIONAL", mrnAuthorityOid: "" });
    expect(result).toEqual({ created: false, patientsUnderPreviousAuthority: 1 });
    expect((await t.db.facility.findUniqueOrThrow({ where: { code: "NORTH" } })).mrnAuthorityOid).toBeNull();
  });

  it("refuses what would break identifiers", async () => {
    await expect(saveFacility(t.db, { code: "", name: "x", mrnAuthority: "A", mrnAuthorityOid: "" })).rejects.toThrow(/code is required/);
    await expect(saveFacility(t.db, { code: "S", name: "x", mrnAuthority: " ", mrnAuthorityOid: "" })).rejects.toThrow(/MRN authority is required/);
    await expect(saveFacility(t.db, { code: "S", name: "x", mrnAuthority: "A", mrnAuthorityOid: "1.2.abc" })).rejects.toThrow(/ISO OID/);
    expect(await t.db.facility.count({ where: { code: "S" } })).toBe(0);
  });
});
