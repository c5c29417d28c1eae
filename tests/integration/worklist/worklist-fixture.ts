/**
 * Shared data for the worklist integration tests: the demo departments and users, plus patients in DERM (active,
 * discharged, old) and WOUND, with names that exercise every PN component and accent folding.
 */
import type { TSessionUser } from "@/lib/auth/roles";
import { loadUser } from "@/lib/auth/load-user";
import type { TDb } from "@/lib/db";
import { hashPassword } from "@/lib/auth/hash-password";
import { seedDemo } from "@/lib/setup/seed-demo";
import { foldSearchText } from "@/lib/worklist/fold-search-text";

export type TWorklistFixture = {
  users: Record<"derm" | "derm2" | "wound" | "manager" | "admin" | "both", TSessionUser>;
  enc: Record<"anna" | "anna2" | "bert" | "carl" | "old" | "wound", string>;
  patients: Record<"anna" | "bert" | "carl" | "wound", string>;
};

const DAY = 86_400_000;

export const createWorklistFixture = async (db: TDb): Promise<TWorklistFixture> => {
  await seedDemo(db, { password: "not-used-here" });
  const dept = async (code: string) => (await db.department.findUniqueOrThrow({ where: { code } })).id;
  const [derm, gi, wound] = [await dept("DERM"), await dept("GI"), await dept("WOUND")];
  const facility = await db.facility.findUniqueOrThrow({ where: { code: "GENHOSP" } });
  const passwordHash = await hashPassword("not-used-here");
  await db.user.create({ data: { email: "derm2@example.org", name: "Dirk Derm", role: "clinician", passwordHash, departments: { create: [{ departmentId: derm }] } } });
  await db.user.create({ data: { email: "both@example.org", name: "Bo Both", role: "clinician", passwordHash, departments: { create: [{ departmentId: derm }, { departmentId: gi }] } } });
  const patient = async (mrn: string, n: { family: string; given: string; middle?: string; prefix?: string; suffix?: string }, birthDate: string, sex: string) =>
    (
      await db.patient.create({
        data: {
          mrn, issuer: "GENHOSP", familyName: n.family, givenName: n.given, middleName: n.middle ?? "", prefix: n.prefix ?? "", suffix: n.suffix ?? "", birthDate, sex,
          searchText: foldSearchText([n.family, n.given, n.middle ?? "", mrn].join(" ")),
        },
      })
    ).id;
  const anna = await patient("M-100", { family: "Müller-Lüdenscheidt", given: "Anna", middle: "Maria", prefix: "Dr", suffix: "PhD" }, "19700315", "F");
  const bert = await patient("M-200", { family: "Østergård", given: "Bert" }, "19851231", "M");
  const carl = await patient("M-300", { family: "Carlsson", given: "Carl" }, "19700101", "M");
  const woundPatient = await patient("M-900", { family: "Woundley", given: "Wendy" }, "19600606", "F");
  await db.patientAlias.create({ data: { mrn: "OLD-100", issuer: "GENHOSP", patientId: anna, kind: "merge", hl7MessageId: "x" } });
  const encounter = async (patientId: string, visitNumber: string, departmentId: string, pointOfCare: string, extra: Record<string, unknown> = {}) =>
    (
      await db.encounter.create({
        data: { patientId, visitNumber, visitIssuer: "GENHOSP", facilityId: facility.id, pointOfCare, departmentId, patientClass: "O", admittedAt: new Date(Date.now() - 2 * DAY), ...extra },
      })
    ).id;
  const enc = {
    anna: await encounter(anna, "V-100", derm, "DERM", { room: "12", bed: "A" }),
    anna2: await encounter(anna, "V-101", derm, "DERM", { admittedAt: new Date(Date.now() - 40 * DAY), status: "discharged", dischargedAt: new Date(Date.now() - 30 * DAY) }),
    bert: await encounter(bert, "V-200", derm, "DERMDAY", { status: "discharged", dischargedAt: new Date(Date.now() - DAY) }),
    carl: await encounter(carl, "V-300", gi, "ENDO", { admittedAt: new Date(Date.now() - DAY) }),
    old: await encounter(carl, "V-301", derm, "DERM", { admittedAt: new Date(Date.now() - 20 * DAY), status: "discharged", dischargedAt: new Date(Date.now() - 10 * DAY) }),
    wound: await encounter(woundPatient, "V-900", wound, "WOUND"),
  };
  const user = async (email: string) => (await loadUser(db, { email }))!;

  return {
    users: {
      derm: await user("derm@example.org"),
      derm2: await user("derm2@example.org"),
      wound: await user("wound@example.org"),
      manager: await user("manager@example.org"),
      admin: await user("admin@example.org"),
      both: await user("both@example.org"),
    },
    enc,
    patients: { anna, bert, carl, wound: woundPatient },
  };
};
