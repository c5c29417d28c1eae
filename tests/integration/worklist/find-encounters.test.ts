/**
 * The worklist query on a real database: search forms (name parts in any order, accents, MRN, former MRN, birth date
 * in several notations, birth year, visit number), filters (department, location, status, date window), recently
 * used patients first, wristband lookup, and that a clinician never sees another department's patients.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { findEncounters } from "@/lib/worklist/find-encounters";
import { findPatientByCode, parseWristbandCode } from "@/lib/worklist/find-patient-by-code";
import { findRecentPatients } from "@/lib/worklist/find-recent-patients";
import { findWorklistOptions } from "@/lib/worklist/find-worklist-options";
import { getEncounter } from "@/lib/worklist/get-encounter";
import { parseBirthDate } from "@/lib/worklist/parse-search-query";
import { parseWorklistParams } from "@/lib/worklist/parse-worklist-params";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";
import { createWorklistFixture, type TWorklistFixture } from "./worklist-fixture";

describe(`worklist search and access (${process.env.TEST_DB ?? "sqlite"})`, () => {
  let t: TTestDatabase;
  let f: TWorklistFixture;
  const visits = async (q: string, who: keyof TWorklistFixture["users"] = "derm", extra: Record<string, unknown> = {}): Promise<string[]> =>
    (await findEncounters(t.db, f.users[who], { q, recentFirst: false, ...extra })).map((e) => e.visitNumber).sort();

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await createWorklistFixture(t.db);
  });
  afterAll(async () => t?.drop());

  it("reads birth dates in the common notations and refuses impossible ones", () => {
    for (const s of ["1970-03-15", "15.03.1970", "15/03/1970", "19700315", "1970-3-15", "15.3.1970"]) {
      expect(parseBirthDate(s), s).toBe("19700315");
    }
    for (const s of ["1970-02-30", "31.04.1970", "19701301", "15-03-1970", "M-100"]) {
      expect(parseBirthDate(s), s).toBeNull();
    }
  });

  it("finds a patient by any name component, in any order, with or without accents", async () => {
    for (const q of ["müller", "MULLER", "ludenscheidt", "Anna", "maria", "anna muller", "muller anna", "Müller-Lüdenscheidt"]) {
      expect(await visits(q), q).toEqual(["V-100"]);
    }
    expect(await visits("ostergard")).toEqual(["V-200"]);
    expect(await visits("Østergård")).toEqual(["V-200"]);
    expect(await visits("anna bert")).toEqual([]);
  });

  it("finds by MRN, a merged-away MRN, birth date in every notation, birth year and visit number", async () => {
    expect(await visits("M-100")).toEqual(["V-100"]);
    expect(await visits("OLD-100")).toEqual(["V-100"]);
    for (const q of ["1970-03-15", "15.03.1970", "19700315", "15/03/1970"]) {
      expect(await visits(q), q).toEqual(["V-100"]);
    }
    expect(await visits("1985")).toEqual(["V-200"]);
    expect(await visits("V-200")).toEqual(["V-200"]);
    expect(await visits("anna 1970-03-15")).toEqual(["V-100"]);
    expect(await visits("bert 1970-03-15")).toEqual([]);
  });

  it("filters by location, status and date window; the date window reaches older discharged encounters", async () => {
    expect(await visits("")).toEqual(["V-100", "V-200"]);
    expect(await visits("", "derm", { location: "DERMDAY" })).toEqual(["V-200"]);
    expect(await visits("", "derm", { status: "active" })).toEqual(["V-100"]);
    expect(await visits("", "derm", { status: "discharged" })).toEqual(["V-200"]);
    const day = (msAgo: number): string => new Date(Date.now() - msAgo).toISOString().slice(0, 10);
    expect(await visits("", "derm", { from: day(15 * 86_400_000), to: day(5 * 86_400_000) })).toEqual(["V-301"]);
    expect(await visits("", "derm", { status: "discharged", from: day(45 * 86_400_000) })).toEqual(["V-101", "V-200", "V-301"]);
    expect(parseWorklistParams((k) => ({ q: "anna", status: "", from: "2026-01-01" })[k])).toEqual({ q: "anna", from: "2026-01-01", departmentId: undefined, location: undefined, status: undefined, to: undefined });
    expect(() => parseWorklistParams((k) => ({ status: "cancelled" })[k])).toThrow();
    expect(() => parseWorklistParams((k) => ({ from: "01.01.2026" })[k])).toThrow();
  });

  it("shows a clinician with two departments both by default, and one after switching; no foreign department", async () => {
    const derm = f.users.both.departmentIds;
    expect(await visits("", "both")).toEqual(["V-100", "V-200", "V-300"]);
    const gi = (await t.db.department.findUniqueOrThrow({ where: { code: "GI" } })).id;
    expect(await visits("", "both", { departmentId: gi })).toEqual(["V-300"]);
    const wound = (await t.db.department.findUniqueOrThrow({ where: { code: "WOUND" } })).id;
    expect(derm).not.toContain(wound);
    expect(await visits("", "both", { departmentId: wound })).toEqual([]);
    const options = await findWorklistOptions(t.db, f.users.both);
    expect(options.departments.map((d) => d.code).sort()).toEqual(["DERM", "GI"]);
    expect(options.locations).toEqual(["DERM", "ENDO", "GI"]);
    expect((await findWorklistOptions(t.db, f.users.admin)).departments).toHaveLength(3);
  });

  it("lists the patients this user opened or captured for recently first, newest first, in a Recent group", async () => {
    const user = f.users.derm2;
    expect((await findEncounters(t.db, user)).some((e) => e.recent)).toBe(false);
    await recordAuditEvent(t.db, { action: "patient.view", userId: user.id, patientId: f.patients.bert });
    await new Promise((r) => setTimeout(r, 5));
    await recordAuditEvent(t.db, { action: "capture.create", userId: user.id, patientId: f.patients.anna });
    // Another user's views and a patient outside the user's departments do not count / are not revealed.
    await recordAuditEvent(t.db, { action: "patient.view", userId: f.users.derm.id, patientId: f.patients.carl });
    await recordAuditEvent(t.db, { action: "patient.view", userId: user.id, patientId: f.patients.wound });
    expect(await findRecentPatients(t.db, user)).toEqual([f.patients.wound, f.patients.anna, f.patients.bert]);
    const list = await findEncounters(t.db, user);
    expect(list.map((e) => [e.visitNumber, e.recent])).toEqual([["V-100", true], ["V-200", true]]);
    const all = await findEncounters(t.db, f.users.derm2, { status: "discharged", from: "2000-01-01" });
    expect(all.map((e) => [e.visitNumber, e.recent])).toEqual([["V-101", true], ["V-200", true], ["V-301", false]]);
    // Old activity (outside the window) is not "recent".
    expect(await findRecentPatients(t.db, user, { windowMs: 0 })).toEqual([]);
  });

  it("opens the patient from a wristband code: MRN, MRN^^^ISSUER, former MRN or visit number", async () => {
    expect(parseWristbandCode("M-100^^^GENHOSP^MR\r\n")).toEqual({ id: "M-100", issuer: "GENHOSP" });
    expect(await findPatientByCode(t.db, f.users.derm, "M-100")).toMatchObject({ encounterId: f.enc.anna });
    expect(await findPatientByCode(t.db, f.users.derm, "M-100^^^GENHOSP")).toMatchObject({ encounterId: f.enc.anna });
    expect(await findPatientByCode(t.db, f.users.derm, "OLD-100")).toMatchObject({ encounterId: f.enc.anna });
    expect(await findPatientByCode(t.db, f.users.derm, "V-101")).toMatchObject({ encounterId: f.enc.anna2 });
    expect(await findPatientByCode(t.db, f.users.derm, "M-200")).toMatchObject({ encounterId: f.enc.bert });
    await expect(findPatientByCode(t.db, f.users.derm, "M-100^^^OTHERHOSP")).rejects.toMatchObject({ code: "not_found" });
    await expect(findPatientByCode(t.db, f.users.derm, "NOPE-1")).rejects.toMatchObject({ code: "not_found", message: expect.stringMatching(/No patient/) });
    await expect(findPatientByCode(t.db, f.users.derm, "  ")).rejects.toMatchObject({ code: "bad_request" });
    const audits = await t.db.auditEvent.findMany({ where: { userId: f.users.derm.id, source: "scan" } });
    expect(audits).toHaveLength(7);
    expect(audits.some((a) => a.outcome === 4)).toBe(true);
  });

  it("shows a clinician nothing of another department's patient: worklist, encounter, wristband code", async () => {
    const wound = f.users.wound;
    expect(await visits("", "wound")).toEqual(["V-900"]);
    for (const q of ["anna", "M-100", "OLD-100", "1970-03-15", "V-100", "V-300"]) {
      expect(await visits(q, "wound"), q).toEqual([]);
    }
    await expect(getEncounter(t.db, wound, f.enc.anna)).rejects.toMatchObject({ code: "not_found" });
    // An existing but foreign code answers exactly like an unknown one.
    const foreign = await findPatientByCode(t.db, wound, "M-100").catch((e: Error) => e.message);
    const unknown = await findPatientByCode(t.db, wound, "NOPE-1").catch((e: Error) => e.message);
    expect(foreign).toBe(unknown);
    expect(await visits("M-900", "derm")).toEqual([]);
    // Admins see everything; managers their departments.
    expect(await visits("", "admin")).toEqual(["V-100", "V-200", "V-300", "V-900"]);
    expect(await visits("", "manager")).toEqual(["V-100", "V-200", "V-300", "V-900"]);
  });
});
