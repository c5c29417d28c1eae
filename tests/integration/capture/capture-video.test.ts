/**
 * Video through the capture flow, real database, real ffmpeg and real Orthanc: a browser WebM (VP8 + Opus) with a
 * body site becomes Video Photographic (H.264) with Anatomic Region Sequence and is delivered over STOW-RS; a video
 * without a body site, or with a code we do not offer, is refused with a 400 naming the file and nothing of that
 * capture is recorded; an endoscopy item's default body site applies.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
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
import { CORPUS, corpusFile, makeClip } from "../../support/video-corpus";

const FAST = { pollMs: 50, leaseMs: 10_000, timeoutMs: 5_000, retryPolicy: { baseMs: 100, capMs: 400 } };

describe("capturing video", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  let admin: TSessionUser;
  let dir: string;
  let encounterId: string;
  const upload = (file: string, mimeType: string): TUploadedFile => {
    const tempPath = path.join(dir, `up-${path.basename(file)}-${Math.random()}`);
    fs.copyFileSync(file, tempPath);
    return { field: "file", originalName: path.basename(file), mimeType, tempPath, size: fs.statSync(tempPath).size, sha256: "" };
  };
  const item = async (code: string) => (await t.db.catalogItem.findFirstOrThrow({ where: { code } })).id;

  beforeAll(async () => {
    [t, orthanc] = await Promise.all([createTestDatabase(), startOrthanc()]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-video-capture-"));
    await seedDemo(t.db, { password: "not-used-here" });
    const dept = await t.db.department.findUniqueOrThrow({ where: { code: "DERM" } });
    const facility = await t.db.facility.findUniqueOrThrow({ where: { code: "GENHOSP" } });
    const patient = await t.db.patient.create({
      data: { mrn: "VID-1", issuer: "GENHOSP", familyName: "Hansen", givenName: "Ida", birthDate: "19900909", sex: "F", searchText: "hansen ida vid-1" },
    });
    encounterId = (
      await t.db.encounter.create({
        data: { patientId: patient.id, visitNumber: "VID-V-1", visitIssuer: "GENHOSP", facilityId: facility.id, pointOfCare: "DERM", departmentId: dept.id, patientClass: "O" },
      })
    ).id;
    const u = await t.db.user.findUniqueOrThrow({ where: { email: "admin@example.org" } });
    admin = { id: u.id, email: u.email, name: u.name, role: "admin", departmentIds: [] };
    await createDestination(t.db, { name: "orthanc", url: orthanc.stowUrl });
  });
  afterAll(async () => {
    await orthanc?.dispose();
    await t?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a browser WebM with a body site: Video Photographic with Anatomic Region Sequence, stored in Orthanc", async () => {
    const webm = corpusFile(dir, CORPUS.find((c) => c.file === "vp8-opus.webm")!);
    const capture = await createCapture(
      t.db,
      admin,
      { encounterId, procedureId: await item("DERM-LESION"), bodySite: "14975008", imageLaterality: "L", files: [upload(webm, "video/webm")] },
      { dataDir: t.dataDir },
    );
    const instance = await t.db.instance.findFirstOrThrow({ where: { series: { studyId: capture.id } }, include: { series: true } });
    expect(instance.sopClassUid).toBe("1.2.840.10008.5.1.4.1.1.77.1.4.1");
    expect(instance.transferSyntaxUid).toBe("1.2.840.10008.1.2.4.102");
    expect(instance.series.modality).toBe("XC");
    const file = path.join(t.dataDir, instance.filePath);
    const dump = runDcmdump(file);
    expect(dump).toMatch(/\(0008,0100\) SH \[14975008\]/);
    expect(dump).toMatch(/\(0008,0104\) LO \[Forearm\]/);
    expect(dump).toMatch(/\(0020,0062\) CS \[L\]/);
    expect(runDciodvfy(file).split("\n").filter((l) => /^Error/.test(l))).toEqual([]);
    const forwarder = await startForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    try {
      await waitFor("the video stored", async () => (await t.db.deliveryJob.count({ where: { status: "stored" } })) === 1);
    } finally {
      await forwarder.stop();
    }
    expect(await orthanc.listSopInstanceUids()).toContain(instance.sopInstanceUid);
  });

  it("an endoscopy item's default body site applies to its clip", async () => {
    const clip = makeClip(path.join(dir, "egd.mp4"), 1);
    const capture = await createCapture(
      t.db,
      admin,
      { encounterId, procedureId: await item("GI-EGD"), files: [upload(clip, "video/mp4")] },
      { dataDir: t.dataDir },
    );
    const instance = await t.db.instance.findFirstOrThrow({ where: { series: { studyId: capture.id } } });
    expect(instance.sopClassUid).toBe("1.2.840.10008.5.1.4.1.1.77.1.1.1");
    expect(runDcmdump(path.join(t.dataDir, instance.filePath))).toMatch(/\(0008,0100\) SH \[110861005\]/);
  });

  it("refuses a video without a body site, or with an unknown code, naming the file; nothing is recorded", async () => {
    const clip = makeClip(path.join(dir, "nosite.mp4"), 1);
    const studies = await t.db.study.count();
    const attempt = (bodySite?: string) =>
      createCapture(
        t.db,
        admin,
        { encounterId, procedureId: "", files: [upload(clip, "video/mp4")], bodySite },
        { dataDir: t.dataDir },
      ).catch((e: unknown) => e);
    const procedureId = await item("DERM-LESION");
    const missing = await createCapture(t.db, admin, { encounterId, procedureId, files: [upload(clip, "video/mp4")] }, { dataDir: t.dataDir }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AppError);
    expect((missing as AppError).status).toBe(400);
    expect((missing as AppError).message).toMatch(/nosite\.mp4: choose a body site/);
    const unknown = await createCapture(t.db, admin, { encounterId, procedureId, bodySite: "123", files: [upload(clip, "video/mp4")] }, { dataDir: t.dataDir }).catch((e: unknown) => e);
    expect((unknown as AppError).status).toBe(400);
    expect((unknown as AppError).message).toMatch(/unknown body site code 123/);
    expect(((await attempt("14975008")) as AppError).status).toBe(400); // no catalog item
    expect(await t.db.study.count()).toBe(studies);
  });

  it("a second archive accepts the same objects over DIMSE C-STORE, each in its own transfer syntax", async () => {
    const instances = await t.db.instance.findMany();
    expect(instances.length).toBeGreaterThanOrEqual(2);
    const second = await startOrthanc();
    try {
      storeWithDimse(instances.map((i) => path.join(t.dataDir, i.filePath)), { port: second.dicomPort, aet: "ECTEST" });
      expect((await second.listSopInstanceUids()).sort()).toEqual(instances.map((i) => i.sopInstanceUid).sort());
    } finally {
      await second.dispose();
    }
  });
});
