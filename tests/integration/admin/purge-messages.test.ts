import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeMessages } from "@/lib/hl7/purge-messages";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

describe("HL7 message retention", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  it("deletes messages older than the retention, keeps newer ones and those an open identity change needs", async () => {
    const day = 24 * 60 * 60 * 1000;
    const message = (controlId: string, ageDays: number) =>
      t.db.hl7Message.create({ data: { controlId, bodyHash: controlId, raw: "MSH|", status: "processed", receivedAt: new Date(Date.now() - ageDays * day) } });
    await message("new", 1);
    for (let i = 0; i < 7; i++) await message(`old-${i}`, 40);
    const merge = await message("old-merge", 40);
    const patient = await t.db.patient.create({ data: { mrn: "P", issuer: "I" } });
    const facility = await t.db.facility.create({ data: { code: "F", name: "F", mrnAuthority: "I" } });
    const dept = await t.db.department.create({ data: { code: "D", name: "D" } });
    const user = await t.db.user.create({ data: { email: "u@x", name: "U", role: "clinician", passwordHash: "x" } });
    const item = await t.db.catalogItem.create({ data: { departmentId: dept.id, code: "C", scheme: "99EC", meaning: "M" } });
    const enc = await t.db.encounter.create({ data: { patientId: patient.id, visitNumber: "V", visitIssuer: "F", facilityId: facility.id } });
    const study = await t.db.study.create({ data: { studyInstanceUid: "2.25.1", encounterId: enc.id, patientId: patient.id, catalogItemId: item.id, operatorId: user.id, studyDescription: "M" } });
    await t.db.identityChange.create({ data: { kind: "merge", fromMrn: "Q", fromIssuer: "I", toPatientId: patient.id, studyId: study.id, sopInstanceUids: "2.25.2", hl7MessageId: merge.id } });

    expect(await purgeMessages(t.db, { retentionDays: 0 })).toBe(0);
    expect(await purgeMessages(t.db, { retentionDays: 30, batchSize: 3 })).toBe(7);
    expect((await t.db.hl7Message.findMany({ orderBy: { controlId: "asc" } })).map((m) => m.controlId)).toEqual(["new", "old-merge"]);
  });
});
