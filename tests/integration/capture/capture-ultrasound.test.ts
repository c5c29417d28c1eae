/**
 * Point-of-care ultrasound through the capture flow, real database and real Orthanc: a device's DICOM export of two
 * series plus a JPEG still become one study under the picked encounter's ADT identity (device identity replaced,
 * series kept apart, the still as US Image), are delivered over STOW-RS, and a non-image DICOM object is refused
 * with a 4xx naming the file while nothing of that capture is recorded.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/roles";
import { createCapture } from "@/lib/capture/create-capture";
import type { TUploadedFile } from "@/lib/capture/receive-upload";
import { AppError } from "@/lib/errors";
import { createDestination } from "@/lib/forwarding/create-destination";
import { seedDemo } from "@/lib/setup/seed-demo";
import { startForwarder } from "@/lib/workers/forwarder";
import { runDciodvfy, runDcmdump, storeWithDimse } from "../../support/dicom-tools";
import { waitFor } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";
import { FOREIGN, makeUsCorpus, type TUsCorpus } from "../../support/us-corpus";

const FAST = { pollMs: 50, leaseMs: 10_000, timeoutMs: 5_000, retryPolicy: { baseMs: 100, capMs: 400 } };

describe("capturing point-of-care ultrasound", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  let wound: TSessionUser;
  let encounterId: string;
  let procedureId: string;
  let corpus: TUsCorpus;
  let dir: string;
  const upload = (file: string, mimeType = "application/dicom"): TUploadedFile => {
    const tempPath = path.join(dir, `up-${path.basename(file)}`);
    fs.copyFileSync(file, tempPath);
    return { field: "file", originalName: path.basename(file), mimeType, tempPath, size: fs.statSync(tempPath).size, sha256: "" };
  };

  beforeAll(async () => {
    [t, orthanc] = await Promise.all([createTestDatabase(), startOrthanc()]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-us-capture-"));
    corpus = await makeUsCorpus(dir);
    await seedDemo(t.db, { password: "not-used-here" });
    const dept = await t.db.department.findUniqueOrThrow({ where: { code: "WOUND" } });
    const facility = await t.db.facility.findUniqueOrThrow({ where: { code: "GENHOSP" } });
    const patient = await t.db.patient.create({
      data: { mrn: "US-MRN-1", issuer: "GENHOSP", familyName: "Østby", givenName: "Liv", birthDate: "19610303", sex: "F", searchText: "ostby liv us-mrn-1" },
    });
    const encounter = await t.db.encounter.create({
      data: { patientId: patient.id, visitNumber: "US-V-1", visitIssuer: "GENHOSP", facilityId: facility.id, pointOfCare: "WOUND", departmentId: dept.id, patientClass: "I" },
    });
    encounterId = encounter.id;
    procedureId = (await t.db.catalogItem.findFirstOrThrow({ where: { code: "WOUND-POCUS" } })).id;
    const u = await t.db.user.findUniqueOrThrow({ where: { email: "wound@example.org" }, include: { departments: true } });
    wound = { id: u.id, email: u.email, name: u.name, role: "clinician", departmentIds: u.departments.map((d) => d.departmentId) };
    await createDestination(t.db, { name: "orthanc", url: orthanc.stowUrl });
  });
  afterAll(async () => {
    await orthanc?.dispose();
    await t?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("device DICOM (two series) and a JPEG still: one study under the ADT identity, delivered to Orthanc", async () => {
    const still = path.join(dir, "still.jpg");
    await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 30, g: 30, b: 30 } } })
      .jpeg({ quality: 90 })
      .toFile(still);
    const capture = await createCapture(
      t.db,
      wound,
      { encounterId, procedureId, files: [upload(corpus.usMultiframeJpeg), upload(corpus.usImageRle), upload(still, "image/jpeg")] },
      { dataDir: t.dataDir },
    );
    const series = await t.db.series.findMany({ where: { studyId: capture.id }, include: { instances: true }, orderBy: { seriesNumber: "asc" } });
    expect(series.map((s) => [s.modality, s.instances.length])).toEqual([["US", 1], ["US", 1], ["US", 1]]);
    const instances = series.flatMap((s) => s.instances);
    expect(instances.map((i) => i.sopClassUid)).toEqual([
      "1.2.840.10008.5.1.4.1.1.3.1",
      "1.2.840.10008.5.1.4.1.1.6.1",
      "1.2.840.10008.5.1.4.1.1.6.1",
    ]);
    for (const instance of instances) {
      const file = path.join(t.dataDir, instance.filePath);
      const dump = runDcmdump(file);
      // Top-level elements (nested items are indented in dcmdump's output); the device's values live on only in
      // Original Attributes Sequence.
      const top = dump.split("\n").filter((l) => l.startsWith("("));
      expect(top.find((l) => l.startsWith("(0010,0020)"))).toMatch(/\[US-MRN-1\]/);
      expect(top.find((l) => l.startsWith("(0020,000d)"))).toContain(`[${capture.studyInstanceUid}]`);
      expect(top.find((l) => l.startsWith("(0008,0050)"))).toMatch(/SH (\(no value available\)|\[\])/);
      expect(top.join("\n")).not.toContain(FOREIGN.studyUid);
      expect(top.join("\n")).not.toContain(FOREIGN.patientId);
      expect(runDciodvfy(file).split("\n").filter((l) => /^Error/.test(l))).toEqual([]);
      expect(instance.stampedIdentity).toMatch(/^[0-9a-f]{32}$/);
    }
    const forwarder = await startForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    try {
      await waitFor("3 stored", async () => (await t.db.deliveryJob.count({ where: { status: "stored" } })) === 3);
    } finally {
      await forwarder.stop();
    }
    expect((await orthanc.listSopInstanceUids()).sort()).toEqual(instances.map((i) => i.sopInstanceUid).sort());
    // The same objects over DIMSE C-STORE, each proposed in its own transfer syntax (JPEG Baseline, RLE).
    const second = await startOrthanc();
    try {
      storeWithDimse(instances.map((i) => path.join(t.dataDir, i.filePath)), { port: second.dicomPort, aet: "ECTEST" });
      expect((await second.listSopInstanceUids()).sort()).toEqual(instances.map((i) => i.sopInstanceUid).sort());
    } finally {
      await second.dispose();
    }
  });

  it("refuses a structured report with a 4xx naming the file, and records nothing of that capture", async () => {
    const studies = await t.db.study.count();
    const error = await createCapture(
      t.db,
      wound,
      { encounterId, procedureId, files: [upload(corpus.usImageRle), upload(corpus.structuredReport)] },
      { dataDir: t.dataDir },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(415);
    expect((error as AppError).message).toContain(path.basename(corpus.structuredReport));
    expect((error as AppError).message).toMatch(/SR|Structured Report|not an image/i);
    expect(await t.db.study.count()).toBe(studies);
  });
});
