/**
 * Capture creation against a real database: department scoping, the outbox written with the instances, audit,
 * all-or-nothing on a bad file, and DICOM files that independent readers accept.
 */
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/roles";
import { createCapture } from "@/lib/capture/create-capture";
import { getCapture } from "@/lib/capture/get-capture";
import type { TUploadedFile } from "@/lib/capture/receive-upload";
import { findCatalogItems } from "@/lib/catalog/find-catalog-items";
import { createDestination } from "@/lib/forwarding/create-destination";
import { seedDemo } from "@/lib/setup/seed-demo";
import { findEncounters } from "@/lib/worklist/find-encounters";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";
import { readWithPydicom, runDciodvfy } from "../../support/dicom-tools";

describe("createCapture", () => {
  let t: TTestDatabase;
  let derm: TSessionUser;
  let wound: TSessionUser;
  let encounterId: string;
  let upload: (name: string, data: Buffer) => TUploadedFile;

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.db, { password: "not-used-here" });
    const dept = await t.db.department.findUniqueOrThrow({ where: { code: "DERM" } });
    const facility = await t.db.facility.findUniqueOrThrow({ where: { code: "GENHOSP" } });
    const patient = await t.db.patient.create({
      data: { mrn: "M-1", issuer: "GENHOSP", familyName: "Müller", givenName: "Anna", birthDate: "19700101", sex: "F", searchText: "muller anna m-1" },
    });
    const enc = await t.db.encounter.create({
      data: { patientId: patient.id, visitNumber: "V-1", visitIssuer: "GENHOSP", facilityId: facility.id, pointOfCare: "DERM", departmentId: dept.id, patientClass: "O", admittedAt: new Date() },
    });
    encounterId = enc.id;
    const load = async (email: string): Promise<TSessionUser> => {
      const u = await t.db.user.findUniqueOrThrow({ where: { email }, include: { departments: true } });
      return { id: u.id, email: u.email, name: u.name, role: u.role as TSessionUser["role"], departmentIds: u.departments.map((d) => d.departmentId) };
    };
    derm = await load("derm@example.org");
    wound = await load("wound@example.org");
    upload = (name, data) => {
      const tempPath = path.join(t.dataDir, `up-${name}`);
      fs.writeFileSync(tempPath, data);
      return { field: "file", originalName: name, mimeType: "image/jpeg", tempPath, size: data.length, sha256: "" };
    };
  });
  afterAll(async () => t?.drop());

  const jpeg = (): Promise<Buffer> =>
    sharp({ create: { width: 320, height: 200, channels: 3, background: { r: 10, g: 200, b: 90 } } }).jpeg().toBuffer();

  it("scopes the worklist and the catalog to the clinician's departments", async () => {
    expect((await findEncounters(t.db, derm, { q: "MULLER" })).map((e) => e.id)).toEqual([encounterId]);
    expect((await findEncounters(t.db, derm, { q: "m-1" })).map((e) => e.id)).toEqual([encounterId]);
    expect(await findEncounters(t.db, wound, {})).toEqual([]);
    expect((await findCatalogItems(t.db, derm)).every((i) => i.department === "DERM")).toBe(true);
  });

  it("writes valid DICOM, the instances and one delivery job per enabled destination in one go", async () => {
    await createDestination(t.db, { name: "vna", url: "http://127.0.0.1:9/dicom-web" });
    const item = (await findCatalogItems(t.db, derm))[0]!;
    const capture = await createCapture(t.db, derm, { encounterId, procedureId: item.id, files: [upload("a.jpg", await jpeg()), upload("b.jpg", await jpeg())] }, { dataDir: t.dataDir });
    expect(capture.instances.map((i) => i.status)).toEqual(["queued", "queued"]);
    expect(await t.db.deliveryJob.count({ where: { instance: { series: { study: { id: capture.id } } } } })).toBe(2);
    expect(await t.db.auditEvent.count({ where: { action: "capture.create", studyId: capture.id, userId: derm.id } })).toBe(1);
    const instances = await t.db.instance.findMany({ where: { series: { studyId: capture.id } } });
    for (const inst of instances) {
      const file = path.join(t.dataDir, inst.filePath);
      const report = runDciodvfy(file);
      expect(report.split("\n").filter((l) => /^Error/i.test(l.trim())), report).toEqual([]);
      const read = readWithPydicom(file);
      expect(read.dataset.PatientID).toBe("M-1");
      expect(read.dataset.PatientName).toBe("Müller^Anna");
      expect(read.dataset.AdmissionID).toBe("V-1");
      expect(read.dataset.AccessionNumber).toBe("");
      expect(read.dataset.StudyInstanceUID).toBe(capture.studyInstanceUid);
      expect(read.dataset.OperatorsName).toBe("Dermer^Dana");
      expect(read.dataset.StudyDescription).toBe(item.meaning);
    }
    await expect(getCapture(t.db, wound, capture.id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("refuses a bad file by name and records nothing", async () => {
    const item = (await findCatalogItems(t.db, derm))[0]!;
    const before = await t.db.instance.count();
    await expect(
      createCapture(t.db, derm, { encounterId, procedureId: item.id, files: [upload("ok.jpg", await jpeg()), upload("broken.jpg", Buffer.from("nope"))] }, { dataDir: t.dataDir }),
    ).rejects.toThrow(/broken\.jpg/);
    expect(await t.db.instance.count()).toBe(before);
  });

  it("refuses a file whose content contradicts its declared type (a PNG sent as photo.jpg / image/jpeg)", async () => {
    const item = (await findCatalogItems(t.db, derm))[0]!;
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer();
    const error = await createCapture(t.db, derm, { encounterId, procedureId: item.id, files: [upload("photo.jpg", png)] }, { dataDir: t.dataDir }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "unsupported_media" });
    expect((error as Error).message).toMatch(/^photo\.jpg: .*(PNG|png)/);
  });

  it("does not let a clinician capture for another department's encounter", async () => {
    const woundItem = (await findCatalogItems(t.db, wound))[0]!;
    await expect(
      createCapture(t.db, wound, { encounterId, procedureId: woundItem.id, files: [upload("x.jpg", await jpeg())] }, { dataDir: t.dataDir }),
    ).rejects.toMatchObject({ code: "not_found" });
  });
});
