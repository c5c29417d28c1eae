import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/roles";
import { loadUser } from "@/lib/auth/load-user";
import { seedDemo } from "@/lib/setup/seed-demo";
import { findEncounters } from "@/lib/worklist/find-encounters";
import { findLocationMappings } from "@/lib/worklist/find-location-mappings";
import { saveLocationMapping } from "@/lib/worklist/save-location-mapping";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

describe("location → department mapping", () => {
  let t: TTestDatabase;
  let derm: TSessionUser;
  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.db, { password: "unused-password" });
    derm = (await loadUser(t.db, { email: "derm@example.org" }))!;
    const patient = await t.db.patient.create({ data: { mrn: "L-1", issuer: "GENHOSP", familyName: "Lind", searchText: "lind l-1" } });
    await t.db.encounter.create({ data: { patientId: patient.id, visitNumber: "LV-1", visitIssuer: "GENHOSP", pointOfCare: "SKINCLINIC" } });
    await t.db.encounter.create({
      data: { patientId: patient.id, visitNumber: "LV-OLD", visitIssuer: "GENHOSP", pointOfCare: "SKINCLINIC", status: "discharged", dischargedAt: new Date(Date.now() - 100 * 3600_000) },
    });
  });
  afterAll(async () => t?.drop());

  it("puts an unmapped location's encounters on a worklist when an admin maps it, and off again", async () => {
    expect(await findEncounters(t.db, derm)).toEqual([]);
    expect((await findLocationMappings(t.db)).unmapped).toEqual([{ pointOfCare: "SKINCLINIC", encounters: 2 }]);
    expect(await saveLocationMapping(t.db, { facilityCode: "", pointOfCare: "SKINCLINIC", departmentCode: "DERM" })).toEqual({ updated: 2 });
    expect((await findEncounters(t.db, derm)).map((e) => e.visitNumber)).toEqual(["LV-1"]);
    // The discharge window decides whether a discharged encounter is still listed (100 h ago).
    expect((await findEncounters(t.db, derm, { dischargedVisibleMs: 120 * 3600_000 })).map((e) => e.visitNumber).sort()).toEqual(["LV-1", "LV-OLD"]);
    expect((await findLocationMappings(t.db)).unmapped).toEqual([]);
    await saveLocationMapping(t.db, { facilityCode: "", pointOfCare: "SKINCLINIC", departmentCode: "" });
    expect(await findEncounters(t.db, derm)).toEqual([]);
  });

  it("refuses an unknown department or an empty point of care", async () => {
    await expect(saveLocationMapping(t.db, { facilityCode: "", pointOfCare: "X", departmentCode: "NOPE" })).rejects.toThrow(/unknown department/);
    await expect(saveLocationMapping(t.db, { facilityCode: "", pointOfCare: " ", departmentCode: "DERM" })).rejects.toThrow(/point of care/);
  });
});
