/**
 * The end-to-end slice as a hospital would see it: `npm start`'s supervisor with its three processes, a real
 * HL7 sender (mllp_send), a real archive (Orthanc with DICOMweb), the public API with a bearer token, and a
 * clinician on a tablet-sized Chromium: log in → find the patient sent by ADT → capture → "stored in archive".
 */
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TAppProcess } from "../support/app-process";
import { CHROMIUM_FLAGS, mllpSend, signIn } from "../support/e2e-browser";
import { startOrthanc, type TOrthanc } from "../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../support/test-db";
import { runDciodvfy } from "../support/dicom-tools";
import { makeClip } from "../support/video-corpus";

const PASSWORD = "e2e-demo-password";
const SHOTS = path.resolve("test-output/screenshots");

const today = (): string => new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
const hl7Fields = (segment: string, values: Record<number, string>): string => {
  const last = Math.max(...Object.keys(values).map(Number));
  return [segment, ...Array.from({ length: last }, (_, i) => values[i + 1] ?? "")].join("|");
};
const adt = (event: string, control: string, mrn: string, visit: string, name: string, poc: string): string =>
  [
    `MSH|^~\\&|ADTSYS|GENHOSP|ECAPTURE|GENHOSP|${today()}||ADT^${event}^ADT_A01|${control}|P|2.5.1||||||UNICODE UTF-8`,
    `EVN|${event}|${today()}`,
    `PID|1||${mrn}^^^GENHOSP^MR||${name}||19800214|F|||1 Main St^^Springfield^^12345||||||||`,
    // PV1-2 class, PV1-3 location, PV1-7 attending, PV1-19 visit number, PV1-44 admit time
    hl7Fields("PV1", { 1: "1", 2: "O", 3: `${poc}^101^A^GENHOSP`, 7: "1234^Attending^Ann^^^Dr", 19: `${visit}^^^GENHOSP^VN`, 44: today() }),
  ].join("\r") + "\r";

const photo = (): Promise<Buffer> =>
  sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 200, g: 120, b: 110 } } }).jpeg({ quality: 90 }).toBuffer();

describe(`end-to-end slice (${process.env.TEST_DB ?? "sqlite"})`, () => {
  let database: TTestDatabase;
  let dataDir: string;
  let app: TAppProcess;
  let orthanc: TOrthanc;
  let browser: Browser;

  beforeAll(async () => {
    // A migrated, empty database of the engine under test (TEST_DB); `npm start` then seeds it as on a first start.
    database = await createTestDatabase();
    await database.db.$disconnect();
    dataDir = database.dataDir;
    orthanc = await startOrthanc();
    app = await startApp({ dataDir, databaseUrl: database.url, demoPassword: PASSWORD });
    app.cli("destination:add", "--name", "orthanc", "--stow-url", orthanc.stowUrl);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await orthanc?.stop();
    await database?.drop();
  }, 60_000);

  it("answers health with every part up", async () => {
    const res = await fetch(`${app.baseUrl}/api/health`);
    const body = (await res.json()) as { status: string; workers: Record<string, { status: string }> };
    expect(res.status).toBe(200);
    expect(body.status).toBe("ok");
    expect(body.workers["mllp-listener"]?.status).toBe("ok");
    expect(body.workers["forwarder"]?.status).toBe("ok");
  });

  it("takes ADT from mllp_send, serves it over the API and archives an API capture", async () => {
    const ack = mllpSend(app.mllpPort, adt("A04", "E2E-API-1", "E2E1001", "V-E2E-1", "Quinn^Ada^M", "DERM"));
    expect(ack).toMatch(/MSA\|AA\|E2E-API-1/);
    const token = app.cli("token:create", "--user", "derm@example.org");
    const auth = { authorization: `Bearer ${token}` };
    const encounters = (await (await fetch(`${app.baseUrl}/api/v1/encounters?q=quinn`, { headers: auth })).json()) as {
      id: string; visitNumber: string; patient: { mrn: string; issuer: string; name: string; birthDate: string; sex: string };
    }[];
    expect(encounters).toHaveLength(1);
    expect(encounters[0]).toMatchObject({ visitNumber: "V-E2E-1", patient: { mrn: "E2E1001", issuer: "GENHOSP", sex: "F" } });
    const procedures = (await (await fetch(`${app.baseUrl}/api/v1/procedures`, { headers: auth })).json()) as { id: string; department: string }[];
    expect(procedures.length).toBeGreaterThan(0);
    expect(procedures.every((p) => p.department === "DERM")).toBe(true);

    const form = new FormData();
    form.set("encounterId", encounters[0]!.id);
    form.set("procedureId", procedures[0]!.id);
    form.append("file", new Blob([new Uint8Array(await photo())], { type: "image/jpeg" }), "lesion.jpg");
    form.append("file", new Blob([new Uint8Array(await photo())], { type: "image/jpeg" }), "lesion-2.jpg");
    const created = await fetch(`${app.baseUrl}/api/v1/captures`, { method: "POST", headers: auth, body: form });
    const capture = (await created.json()) as { id: string; studyInstanceUid: string; instances: { sopInstanceUid: string; status: string }[] };
    expect(created.status).toBe(201);
    expect(capture.instances).toHaveLength(2);

    let statuses: string[] = [];
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const now = (await (await fetch(`${app.baseUrl}/api/v1/captures/${capture.id}`, { headers: auth })).json()) as typeof capture;
      statuses = now.instances.map((x) => x.status);
      if (statuses.every((s) => s === "stored" || s === "failed")) {
        break;
      }
    }
    expect(statuses).toEqual(["stored", "stored"]);
    for (const inst of capture.instances) {
      const file = await orthanc.getInstanceFile(inst.sopInstanceUid);
      const tmp = path.join(dataDir, `${inst.sopInstanceUid}.dcm`);
      fs.writeFileSync(tmp, file);
      const report = runDciodvfy(tmp);
      expect(report.split("\n").filter((l) => /^Error/i.test(l.trim())), report).toEqual([]);
    }

    // Another department's clinician sees neither the patient nor the capture.
    const woundToken = app.cli("token:create", "--user", "wound@example.org");
    const other = { authorization: `Bearer ${woundToken}` };
    expect(await (await fetch(`${app.baseUrl}/api/v1/encounters?q=quinn`, { headers: other })).json()).toEqual([]);
    expect((await fetch(`${app.baseUrl}/api/v1/captures/${capture.id}`, { headers: other })).status).toBe(404);

    // A file that is not an image is refused with the reason, naming the file.
    const bad = new FormData();
    bad.set("encounterId", encounters[0]!.id);
    bad.set("procedureId", procedures[0]!.id);
    bad.append("file", new Blob(["not a photo"], { type: "image/jpeg" }), "notes.jpg");
    const refused = await fetch(`${app.baseUrl}/api/v1/captures`, { method: "POST", headers: auth, body: bad });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(((await refused.json()) as { error: string }).error).toContain("notes.jpg");
    expect((await fetch(`${app.baseUrl}/api/v1/encounters`)).status).toBe(401);
  });

  it("resumes a video upload the network dropped (tus) and archives it as Video Photographic", async () => {
    const token = app.cli("token:create", "--user", "derm@example.org");
    const auth = { authorization: `Bearer ${token}` };
    const encounters = (await (await fetch(`${app.baseUrl}/api/v1/encounters?q=quinn`, { headers: auth })).json()) as { id: string }[];
    const procedures = (await (await fetch(`${app.baseUrl}/api/v1/procedures`, { headers: auth })).json()) as { id: string; code: string }[];
    const video = fs.readFileSync(makeClip(path.join(dataDir, "wound-video.mp4"), 4, "640x480"));
    const b64 = (v: string) => Buffer.from(v).toString("base64");
    const tus = { "tus-resumable": "1.0.0", ...auth };
    const created = await fetch(`${app.baseUrl}/api/v1/uploads`, {
      method: "POST",
      headers: { ...tus, "upload-length": String(video.length), "upload-metadata": `filename ${b64("wound-video.mp4")},filetype ${b64("video/mp4")}` },
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get("location")!, app.baseUrl).toString();
    const id = location.split("/").pop()!;
    // The first half goes out, then the connection drops (the request promised the whole file).
    await new Promise<void>((resolve) => {
      const req = http.request(location, {
        method: "PATCH",
        headers: { ...tus, "upload-offset": "0", "content-type": "application/offset+octet-stream", "content-length": String(video.length) },
      });
      req.on("error", () => resolve());
      req.write(video.subarray(0, Math.floor(video.length / 2)));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 1000);
    });
    // The server kept what arrived: the client asks where to continue …
    let offset = 0;
    for (let i = 0; i < 40 && offset === 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      offset = Number((await fetch(location, { method: "HEAD", headers: tus })).headers.get("upload-offset"));
    }
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(Math.floor(video.length / 2));
    // … another user may not touch it …
    const woundToken = app.cli("token:create", "--user", "wound@example.org");
    expect((await fetch(location, { method: "HEAD", headers: { "tus-resumable": "1.0.0", authorization: `Bearer ${woundToken}` } })).status).toBe(403);
    // … and sends only the rest.
    const rest = await fetch(location, {
      method: "PATCH",
      headers: { ...tus, "upload-offset": String(offset), "content-type": "application/offset+octet-stream" },
      body: new Uint8Array(video.subarray(offset)),
    });
    expect(rest.status).toBe(204);
    expect(Number(rest.headers.get("upload-offset"))).toBe(video.length);
    const capture = await fetch(`${app.baseUrl}/api/v1/captures`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        encounterId: encounters[0]!.id,
        procedureId: procedures.find((p) => p.code === "DERM-LESION")!.id,
        uploads: [{ id, bodySite: "14975008" }],
      }),
    });
    const body = (await capture.json()) as { id: string; instances: { sopInstanceUid: string; sopClassUid: string; status: string }[] };
    expect(capture.status, JSON.stringify(body)).toBe(201);
    expect(body.instances.map((x) => x.sopClassUid)).toEqual(["1.2.840.10008.5.1.4.1.1.77.1.4.1"]);
    let status = "";
    for (let i = 0; i < 60 && status !== "stored"; i++) {
      await new Promise((r) => setTimeout(r, 500));
      status = ((await (await fetch(`${app.baseUrl}/api/v1/captures/${body.id}`, { headers: auth })).json()) as typeof body).instances[0]!.status;
    }
    expect(status).toBe("stored");
    const archived = path.join(dataDir, "archived-video.dcm");
    fs.writeFileSync(archived, await orthanc.getInstanceFile(body.instances[0]!.sopInstanceUid));
    expect(runDciodvfy(archived).split("\n").filter((l) => /^Error/i.test(l.trim()))).toEqual([]);
    // The finished upload is gone once the capture is recorded.
    expect((await fetch(location, { method: "HEAD", headers: tus })).status).toBe(404);
  });

  it("lets a clinician on a tablet find the ADT patient, capture a photo and see it stored", async () => {
    mllpSend(app.mllpPort, adt("A04", "E2E-UI-1", "E2E2002", "V-E2E-2", "Østergård^Søren", "DERM"));
    const context = await browser.newContext({ viewport: { width: 820, height: 1180 }, deviceScaleFactor: 1, hasTouch: true, isMobile: true });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/worklist`);
    await page.waitForURL(/\/login/);
    await page.screenshot({ path: path.join(SHOTS, "login.png") });
    await page.getByLabel("E-mail").fill("derm@example.org");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/worklist/);
    await page.getByLabel("Find a patient").fill("ostergard");
    const row = page.getByRole("link", { name: /ØSTERGÅRD, Søren/ });
    await row.waitFor();
    await page.getByRole("link", { name: /QUINN/ }).waitFor({ state: "detached" });
    await page.screenshot({ path: path.join(SHOTS, "worklist.png") });
    await row.click();
    const banner = page.getByTestId("patient-banner");
    await expect.poll(() => banner.textContent()).toContain("ØSTERGÅRD, Søren");
    expect(await banner.textContent()).toMatch(/1980-02-14.*E2E2002.*V-E2E-2/);
    await page.getByLabel(/Skin lesion photography/).check();
    await page.getByTestId("file-input").setInputFiles({ name: "bedside.jpg", mimeType: "image/jpeg", buffer: await photo() });
    await page.getByRole("img", { name: /bedside\.jpg/ }).waitFor();
    // A short video from the device's files: it needs a body site, which the form asks for first.
    const clip = fs.readFileSync(makeClip(path.join(dataDir, "ui-clip.mp4"), 1));
    await page.getByTestId("file-input").setInputFiles({ name: "ui-clip.mp4", mimeType: "video/mp4", buffer: clip });
    await page.getByText("ui-clip.mp4").waitFor();
    await page.getByRole("button", { name: /Send 2 files/ }).click();
    await page.getByRole("alert").filter({ hasText: "Choose the body site first" }).waitFor();
    await page.getByRole("button", { name: "Left forearm", exact: true }).click();
    await page.getByLabel(/Clinical care only/).check();
    await page.screenshot({ path: path.join(SHOTS, "capture-review.png") });
    await page.getByRole("button", { name: /Send 2 files/ }).click();
    await expect.poll(() => page.getByTestId("item-state").filter({ hasText: "stored in archive" }).count(), { timeout: 40_000 }).toBe(2);
    await page.screenshot({ path: path.join(SHOTS, "capture-stored.png"), fullPage: true });
    await context.close();
    // 2 API photos + 1 resumably uploaded video + a photo and a video from the tablet.
    expect(await orthanc.countInstances()).toBe(5);
  });

  it("lets an admin read the HL7 log segment by segment, the location map and set up a facility", async () => {
    const context = await browser.newContext({ viewport: { width: 1180, height: 820 } });
    const page = await context.newPage();
    await signIn(page, app.baseUrl, "admin@example.org", PASSWORD);
    await page.goto(`${app.baseUrl}/admin/hl7?type=ADT^A04`);
    await page.getByRole("link", { name: /\d/ }).first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, "admin-hl7-log.png"), fullPage: true });
    await page.getByRole("row", { name: /E2E-API-1/ }).getByRole("link").click();
    await page.getByRole("heading", { name: /ADT\^A04 · E2E-API-1/ }).waitFor();
    expect(await page.getByRole("row", { name: /PID-5 Patient Name Quinn\^Ada\^M/ }).count()).toBe(1);
    expect(await page.getByRole("row", { name: /MSH-18 Character Set UNICODE UTF-8/ }).count()).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, "admin-hl7-message.png"), fullPage: true });
    await page.goto(`${app.baseUrl}/admin/locations`);
    expect(await page.getByRole("row", { name: /DERM any DERM/ }).count()).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, "admin-locations.png"), fullPage: true });
    // Facilities: the MRN authority of a facility, set before its feed starts.
    await page.goto(`${app.baseUrl}/admin/facilities`);
    const added = page.getByRole("form", { name: "New facility" });
    await added.getByLabel("Code (PV1-3.4 / MSH-4)").fill("E2EFAC");
    await added.getByLabel("Name (Institution Name)").fill("E2E Clinic");
    await added.getByLabel("MRN authority (PID-3.4)").fill("E2EMRN");
    await added.getByRole("button", { name: "Add facility" }).click();
    await added.getByRole("status").filter({ hasText: "Created." }).waitFor();
    await page.reload();
    expect(await page.getByRole("form", { name: "Facility E2EFAC" }).getByLabel("MRN authority (PID-3.4)").inputValue()).toBe("E2EMRN");
    await page.screenshot({ path: path.join(SHOTS, "admin-facilities.png"), fullPage: true });
    // Destinations: test the connection, then the operations view of one destination.
    await page.goto(`${app.baseUrl}/admin/destinations`);
    const firstDestination = page.getByRole("row").nth(1);
    await firstDestination.getByRole("button", { name: /Test connection/ }).click();
    await firstDestination.getByRole("status").filter({ hasText: "Reachable" }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, "admin-destinations.png"), fullPage: true });
    await firstDestination.getByRole("link").click();
    await page.getByRole("heading", { name: "Recent failures and retries" }).waitFor();
    expect(await page.getByLabel("Queue").textContent()).toMatch(/Stored\s*[1-9]/);
    await page.screenshot({ path: path.join(SHOTS, "admin-destination-operations.png"), fullPage: true });
    await context.close();
  });
});
