/**
 * Each ADT event's effect end to end: the listener in-process on port 0, a real database (TEST_DB), fixtures sent by
 * Debian's `mllp_send` (python3-hl7). Tests run in order and build on each other's rows (one visit's story:
 * register, transfer, cancel transfer, discharge, cancel discharge; then person, merge and identifier events).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fieldOf } from "../../support/mllp-client";
import { hl7Fixture as fixture, startMllpSendHarness, type TMllpSendHarness } from "../../support/mllp-send-harness";
import type { TTestDatabase } from "../../support/test-db";


describe("ADT events over MLLP (mllp_send)", () => {
  let h: TMllpSendHarness;
  let t: TTestDatabase;
  let departments: TMllpSendHarness["departments"];
  const sendOne = (payload: Buffer): Promise<string> => h.sendOne(payload);
  const msa = (ack: string): string[] => [1, 2, 3].map((i) => fieldOf(ack, "MSA", i));
  const encounter = (visitNumber: string) =>
    t.db.encounter.findUniqueOrThrow({ where: { visitNumber_visitIssuer: { visitNumber, visitIssuer: "GENHOSP" } } });
  const patient = (mrn: string) => t.db.patient.findUnique({ where: { mrn_issuer: { mrn, issuer: "GENHOSP" } } });

  beforeAll(async () => {
    h = await startMllpSendHarness();
    ({ t, departments } = h);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("A04 registers the visit in dermatology", async () => {
    expect(msa(await sendOne(fixture("a04-derm-outpatient.hl7")))).toEqual(["AA", "DERM0001", ""]);
    expect(await encounter("V20240001")).toMatchObject({ status: "active", departmentId: departments.derm });
  });

  it("A02 moves the visit to the new location and its department", async () => {
    expect(msa(await sendOne(fixture("a02-derm-transfer-to-gi.hl7")))).toEqual(["AA", "XFER0001", ""]);
    const e = await encounter("V20240001");
    expect(e).toMatchObject({ pointOfCare: "GI", room: "G5", bed: "1", departmentId: departments.gi, status: "active" });
  });

  it("A12 returns the visit to the prior location (PV1-6) and department", async () => {
    expect(msa(await sendOne(fixture("a12-cancel-transfer.hl7")))).toEqual(["AA", "XFER0002", ""]);
    const e = await encounter("V20240001");
    expect(e).toMatchObject({ pointOfCare: "DERM", room: "D14", bed: "2", departmentId: departments.derm });
  });

  it("A03 discharges with PV1-45 as the discharge time", async () => {
    expect(msa(await sendOne(fixture("a03-derm-discharge.hl7")))).toEqual(["AA", "DIS0001", ""]);
    const e = await encounter("V20240001");
    expect(e).toMatchObject({ status: "discharged", dischargedAt: new Date(2024, 2, 16, 16, 55, 0) });
  });

  it("A13 makes the visit active again and clears the discharge time", async () => {
    expect(msa(await sendOne(fixture("a13-cancel-discharge.hl7")))).toEqual(["AA", "DIS0002", ""]);
    expect(await encounter("V20240001")).toMatchObject({ status: "active", dischargedAt: null });
  });

  it("A11 for an unknown visit: AA, says so, creates nothing", async () => {
    const encounters = await t.db.encounter.count();
    const patients = await t.db.patient.count();
    const [code, id, text] = msa(await sendOne(fixture("a11-cancel-unknown-visit.hl7")));
    expect([code, id]).toEqual(["AA", "CXL0001"]);
    expect(text).toContain("unknown visit");
    expect(await t.db.encounter.count()).toBe(encounters);
    expect(await t.db.patient.count()).toBe(patients);
    expect(await t.db.hl7Message.findFirst({ where: { controlId: "CXL0001" } })).toMatchObject({ status: "processed" });
  });

  it("A28 adds a person without an encounter; an older A31 does not overwrite it", async () => {
    expect(msa(await sendOne(fixture("a28-add-person.hl7")))).toEqual(["AA", "PER0001", ""]);
    const p = await patient("100099");
    expect(p).toMatchObject({ familyName: "Muller", givenName: "Anna", lastEventAt: new Date(2024, 2, 16, 8, 0, 0) });
    expect(await t.db.encounter.count({ where: { patientId: p!.id } })).toBe(0);

    const [code, , text] = msa(await sendOne(fixture("a31-update-person-older.hl7")));
    expect(code).toBe("AA");
    expect(text).toContain("patient not updated");
    expect(await patient("100099")).toMatchObject({ familyName: "Muller" });
  });

  it("A40 merges the prior patient into the survivor and keeps an alias; a repeat changes nothing", async () => {
    const prior = (await patient("100099"))!;
    const survivor = (await patient("100001"))!;
    expect(msa(await sendOne(fixture("a40-merge-into-100001.hl7")))).toEqual(["AA", "MRG0001", ""]);
    expect(await patient("100099")).toBeNull();
    const alias = await t.db.patientAlias.findUniqueOrThrow({ where: { mrn_issuer: { mrn: "100099", issuer: "GENHOSP" } } });
    expect(alias).toMatchObject({ patientId: survivor.id, kind: "merge", priorPatientId: prior.id });
    const row = await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "MRG0001" } });
    expect(alias.hl7MessageId).toBe(row.id);

    const again = Buffer.from(fixture("a40-merge-into-100001.hl7").toString().replace("MRG0001", "MRG0001B"));
    const [code, , text] = msa(await sendOne(again));
    expect(code).toBe("AA");
    expect(text).toContain("already merged");
    expect(await t.db.patientAlias.count()).toBe(1);
  });

  it("a circular A40 (MRG-1 = PID-3) is refused with AE 205 at MRG-1", async () => {
    const ack = await sendOne(fixture("a40-circular.hl7"));
    expect(msa(ack).slice(0, 2)).toEqual(["AE", "MRG0002"]);
    expect([fieldOf(ack, "ERR", 2), fieldOf(ack, "ERR", 3)]).toEqual(["MRG^1^1", "205^Duplicate key identifier^HL70357"]);
    expect(await patient("100001")).not.toBeNull();
  });

  it("A47 renames the MRN on the same patient row and keeps the old one as an alias", async () => {
    expect(msa(await sendOne(fixture("a04-wound-care.hl7")))[0]).toBe("AA");
    const before = (await patient("100003"))!;
    expect(msa(await sendOne(fixture("a47-change-identifier.hl7")))).toEqual(["AA", "IDC0001", ""]);
    expect(await patient("100003")).toBeNull();
    const after = (await patient("200003"))!;
    expect(after.id).toBe(before.id);
    expect(after.searchText).toContain("200003");
    expect((await encounter("V20240003")).patientId).toBe(before.id);
    expect(await t.db.patientAlias.findUnique({ where: { mrn_issuer: { mrn: "100003", issuer: "GENHOSP" } } })).toMatchObject({
      patientId: before.id,
      kind: "identifier-change",
    });
  });
});
