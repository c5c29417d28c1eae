/**
 * Demo data for the embedded default: three departments, a facility with its location → department map, a
 * procedure catalog per department and one user per role. Idempotent: only what is missing is created.
 * Synthetic data only — no patients (they arrive over ADT).
 */
import crypto from "node:crypto";
import type { TDb } from "../db";
import { hashPassword } from "../auth/hash-password";

const DEPARTMENTS = [
  { code: "DERM", name: "Dermatology", pointsOfCare: ["DERM"] },
  { code: "GI", name: "Gastroenterology", pointsOfCare: ["GI", "ENDO"] },
  { code: "WOUND", name: "Wound care", pointsOfCare: ["WOUND"] },
];

// Local procedure codes (scheme 99EC = this app's local coding scheme; a SNOMED CT mapping comes with the catalog editor).
const CATALOG: Record<string, { code: string; meaning: string; modality: "XC" | "ES" | "US"; bodySiteCode?: string }[]> = {
  DERM: [
    { code: "DERM-LESION", meaning: "Skin lesion photography", modality: "XC" },
    { code: "DERM-TBP", meaning: "Total body photography", modality: "XC" },
    { code: "DERM-DERMOSCOPY", meaning: "Dermoscopy", modality: "XC" },
  ],
  GI: [
    { code: "GI-EGD", meaning: "Upper GI endoscopy images", modality: "ES", bodySiteCode: "110861005" },
    { code: "GI-COLO", meaning: "Colonoscopy images", modality: "ES", bodySiteCode: "14742008" },
    { code: "GI-STOMA", meaning: "Stoma photography", modality: "XC" },
    { code: "GI-POCUS", meaning: "Abdominal point-of-care ultrasound", modality: "US" },
  ],
  WOUND: [
    { code: "WOUND-ASSESS", meaning: "Wound assessment photography", modality: "XC" },
    { code: "WOUND-PU", meaning: "Pressure ulcer photography", modality: "XC" },
    { code: "WOUND-POCUS", meaning: "Soft tissue point-of-care ultrasound", modality: "US" },
  ],
};

const USERS = [
  { email: "derm@example.org", name: "Dana Dermer", role: "clinician", departments: ["DERM"] },
  { email: "gi@example.org", name: "Gil Gastro", role: "clinician", departments: ["GI"] },
  { email: "wound@example.org", name: "Wanda Woundcare", role: "clinician", departments: ["WOUND"] },
  { email: "manager@example.org", name: "Morgan Manager", role: "manager", departments: ["DERM", "GI", "WOUND"] },
  { email: "admin@example.org", name: "Ada Admin", role: "admin", departments: [] },
];

/**
 * Create the demo data that is missing.
 * @param db - database client
 * @param opts - password: every demo user's first password (random per user when omitted)
 * @returns the users created now, with their first password (to print once)
 */
export const seedDemo = async (db: TDb, opts: { password?: string } = {}): Promise<{ email: string; role: string; password: string }[]> => {
  await db.facility.upsert({
    where: { code: "GENHOSP" },
    create: { code: "GENHOSP", name: "General Hospital", mrnAuthority: "GENHOSP" },
    update: {},
  });
  for (const [order, d] of DEPARTMENTS.entries()) {
    const dept = await db.department.upsert({ where: { code: d.code }, create: { code: d.code, name: d.name }, update: {} });
    for (const poc of d.pointsOfCare) {
      await db.locationMapping.upsert({
        where: { facilityCode_pointOfCare: { facilityCode: "", pointOfCare: poc } },
        create: { facilityCode: "", pointOfCare: poc, departmentId: dept.id },
        update: {},
      });
    }
    for (const [i, item] of (CATALOG[d.code] ?? []).entries()) {
      await db.catalogItem.upsert({
        where: { departmentId_code_scheme: { departmentId: dept.id, code: item.code, scheme: "99EC" } },
        create: { departmentId: dept.id, code: item.code, scheme: "99EC", meaning: item.meaning, modality: item.modality, bodySiteCode: item.bodySiteCode ?? "", sortOrder: order * 100 + i },
        update: {},
      });
    }
  }
  const created: { email: string; role: string; password: string }[] = [];
  for (const u of USERS) {
    if (await db.user.findUnique({ where: { email: u.email } })) {
      continue;
    }
    const password = opts.password ?? crypto.randomBytes(9).toString("base64url");
    const departments = await db.department.findMany({ where: { code: { in: u.departments } } });
    await db.user.create({
      data: {
        email: u.email,
        name: u.name,
        role: u.role,
        passwordHash: await hashPassword(password),
        departments: { create: departments.map((d) => ({ departmentId: d.id })) },
      },
    });
    created.push({ email: u.email, role: u.role, password });
  }

  return created;
};
