/**
 * Patient history and thumbnails from real DICOM made by the app's own wrappers (createCapture): a JPEG photo
 * (encapsulated), a PNG photo (native RGB), a video (poster frame); the disk cache; "in archive" for a purged file;
 * the sensitive-image rule; the department rule; one audit row per view.
 */
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCapture } from "@/lib/capture/create-capture";
import type { TUploadedFile } from "@/lib/capture/receive-upload";
import { findPatientHistory } from "@/lib/history/find-patient-history";
import { renderThumbnail } from "@/lib/history/render-thumbnail";
import { renderPlaceholderSvg } from "@/lib/history/thumbnail-placeholder";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";
import { makeClip } from "../../support/video-corpus";
import { createWorklistFixture, type TWorklistFixture } from "./worklist-fixture";

describe(`patient history thumbnails (${process.env.TEST_DB ?? "sqlite"})`, () => {
  let t: TTestDatabase;
  let f: TWorklistFixture;
  let photoStudy: string;
  let videoStudy: string;
  let ids: { jpeg: string; png: string; video: string };

  const upload = (name: string, data: Buffer, mimeType: string): TUploadedFile => {
    const tempPath = path.join(t.dataDir, `up-${Date.now()}-${name}`);
    fs.writeFileSync(tempPath, data);
    return { field: "file", originalName: name, mimeType, tempPath, size: data.length, sha256: "" };
  };
  const instanceId = async (studyId: string, n: number): Promise<string> =>
    (await t.db.instance.findFirstOrThrow({ where: { series: { studyId }, instanceNumber: n } })).id;

  beforeAll(async () => {
    t = await createTestDatabase();
    f = await createWorklistFixture(t.db);
    const item = await t.db.catalogItem.findFirstOrThrow({ where: { code: "DERM-LESION" } });
    const jpeg = await sharp({ create: { width: 1200, height: 800, channels: 3, background: { r: 220, g: 30, b: 30 } } }).jpeg().toBuffer();
    const png = await sharp({ create: { width: 300, height: 600, channels: 3, background: { r: 20, g: 200, b: 40 } } }).png().toBuffer();
    const photo = await createCapture(t.db, f.users.derm, { encounterId: f.enc.anna, procedureId: item.id, files: [upload("a.jpg", jpeg, "image/jpeg"), upload("b.png", png, "image/png")] }, { dataDir: t.dataDir });
    const clip = fs.readFileSync(makeClip(path.join(t.dataDir, "clip.mp4"), 1, "320x240"));
    const video = await createCapture(t.db, f.users.derm, { encounterId: f.enc.anna2, procedureId: item.id, bodySite: "14975008", files: [upload("c.mp4", clip, "video/mp4")] }, { dataDir: t.dataDir });
    photoStudy = photo.id;
    videoStudy = video.id;
    ids = { jpeg: await instanceId(photoStudy, 1), png: await instanceId(photoStudy, 2), video: await instanceId(videoStudy, 1) };
    // The video wrapper makes the poster frame in the background after the capture is recorded (lib/dicom/wrap-video.ts).
    const poster = path.join(t.dataDir, `${(await t.db.instance.findUniqueOrThrow({ where: { id: ids.video } })).filePath}.poster.jpg`);
    for (const deadline = Date.now() + 60_000; !fs.existsSync(poster); ) {
      if (Date.now() > deadline) {
        throw new Error("the video's poster frame was not made within 60 s");
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 180_000);
  afterAll(async () => t?.drop());

  const render = (who: keyof TWorklistFixture["users"], id: string) => renderThumbnail(t.db, f.users[who], id, { dataDir: t.dataDir });

  it("renders small JPEGs from an encapsulated JPEG, native RGB pixels and a video's poster frame, and caches them", async () => {
    const expectations: [string, number, number, [number, number, number]][] = [
      [ids.jpeg, 320, 213, [220, 30, 30]],
      [ids.png, 160, 320, [20, 200, 40]],
      [ids.video, 320, 240, [-1, -1, -1]],
    ];
    for (const [id, width, height, rgb] of expectations) {
      const thumb = await render("derm", id);
      expect(thumb.kind, id).toBe("jpeg");
      const data = (thumb as { data: Buffer }).data;
      const meta = await sharp(data).metadata();
      expect([meta.format, meta.width, meta.height, meta.exif]).toEqual(["jpeg", width, height, undefined]);
      if (rgb[0] >= 0) {
        const { data: px } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
        expect(Math.abs(px[0]! - rgb[0]) + Math.abs(px[1]! - rgb[1]) + Math.abs(px[2]! - rgb[2])).toBeLessThan(30);
      }
      expect(fs.existsSync(path.join(t.dataDir, "thumbnails", `${id}.jpg`))).toBe(true);
    }
    // The second view comes from the cache: same bytes even with the DICOM file gone.
    const inst = await t.db.instance.findUniqueOrThrow({ where: { id: ids.png } });
    const first = (await render("derm", ids.png)) as { data: Buffer };
    fs.renameSync(path.join(t.dataDir, inst.filePath), path.join(t.dataDir, `${inst.filePath}.away`));
    expect(((await render("derm", ids.png)) as { data: Buffer }).data.equals(first.data)).toBe(true);
    fs.renameSync(path.join(t.dataDir, `${inst.filePath}.away`), path.join(t.dataDir, inst.filePath));
  });

  it("shows a placeholder for a video without poster and for a purged file ('in archive')", async () => {
    const video = await t.db.instance.findUniqueOrThrow({ where: { id: ids.video } });
    fs.rmSync(path.join(t.dataDir, "thumbnails", `${ids.video}.jpg`));
    fs.rmSync(path.join(t.dataDir, `${video.filePath}.poster.jpg`));
    expect(await render("derm", ids.video)).toEqual({ kind: "placeholder", reason: "video" });
    await t.db.instance.update({ where: { id: ids.jpeg }, data: { purgedAt: new Date() } });
    expect(fs.existsSync(path.join(t.dataDir, "thumbnails", `${ids.jpeg}.jpg`))).toBe(true);
    expect(await render("derm", ids.jpeg)).toEqual({ kind: "placeholder", reason: "archived" });
    expect(fs.existsSync(path.join(t.dataDir, "thumbnails", `${ids.jpeg}.jpg`))).toBe(false);
    await t.db.instance.update({ where: { id: ids.jpeg }, data: { purgedAt: null } });
    expect(renderPlaceholderSvg("archived")).toMatch(/^<svg[^>]*>.*In archive/);
  });

  it("refuses another department outright (not found) and audits every view without PHI in the row's subject", async () => {
    await expect(render("wound", ids.jpeg)).rejects.toMatchObject({ code: "not_found" });
    expect(await findPatientHistory(t.db, f.users.wound, { patientId: f.patients.anna, encounterId: f.enc.anna })).toEqual([]);
    const before = await t.db.auditEvent.count({ where: { action: "capture.view", userId: f.users.derm2.id } });
    await render("derm2", ids.png);
    await render("derm2", ids.png);
    const rows = await t.db.auditEvent.findMany({ where: { action: "capture.view", userId: f.users.derm2.id }, orderBy: { at: "asc" } });
    expect(rows.length - before).toBe(2);
    const inst = await t.db.instance.findUniqueOrThrow({ where: { id: ids.png } });
    expect(rows.at(-1)).toMatchObject({ outcome: 0, patientId: f.patients.anna, studyId: photoStudy, subject: inst.sopInstanceUid, detail: "thumbnail" });
  });

  it("restricts a sensitive study to its operator and its department's managers (and admins)", async () => {
    await t.db.study.update({ where: { id: photoStudy }, data: { sensitive: true } });
    expect((await render("derm", ids.jpeg)).kind).toBe("jpeg");
    expect((await render("manager", ids.jpeg)).kind).toBe("jpeg");
    expect((await render("admin", ids.jpeg)).kind).toBe("jpeg");
    expect(await render("derm2", ids.jpeg)).toEqual({ kind: "placeholder", reason: "sensitive" });
    expect(await render("both", ids.jpeg)).toEqual({ kind: "placeholder", reason: "sensitive" });
    const refused = await t.db.auditEvent.findFirstOrThrow({ where: { userId: f.users.derm2.id, action: "capture.view" }, orderBy: { at: "desc" } });
    expect(refused).toMatchObject({ outcome: 4, detail: "thumbnail refused: sensitive image" });
    const history = await findPatientHistory(t.db, f.users.derm2, { patientId: f.patients.anna, encounterId: f.enc.anna });
    expect(history.map((s) => [s.id, s.sensitive, s.canView, s.thisEncounter])).toEqual([
      [videoStudy, false, true, false],
      [photoStudy, true, false, true],
    ]);
    await t.db.study.update({ where: { id: photoStudy }, data: { sensitive: false } });
  });

  it("lists every earlier capture of the patient with procedure, operator and delivery state per image", async () => {
    const dest = await t.db.destination.create({ data: { name: "vna", url: "http://127.0.0.1:9/dicom-web" } });
    await t.db.deliveryJob.create({ data: { instanceId: ids.jpeg, destinationId: dest.id, status: "failed", lastError: "HTTP 503 from archive" } });
    await t.db.deliveryJob.create({ data: { instanceId: ids.png, destinationId: dest.id, status: "stored", storedAt: new Date() } });
    await t.db.deliveryJob.create({ data: { instanceId: ids.video, destinationId: dest.id, status: "sending" } });
    const history = await findPatientHistory(t.db, f.users.derm, { patientId: f.patients.anna, encounterId: f.enc.anna2 });
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ id: videoStudy, procedure: "Skin lesion photography", operator: "Dana Dermer", visitNumber: "V-101", thisEncounter: true });
    expect(history[0]!.instances.map((i) => [i.kind, i.status])).toEqual([["video", "sending"]]);
    expect(history[1]!.instances.map((i) => [i.kind, i.status, i.lastError])).toEqual([
      ["photo", "failed", "HTTP 503 from archive"],
      ["photo", "stored", ""],
    ]);
  });
});
