/**
 * The bedside worklist on a 10" tablet in portrait (800×1280, touch): search as you type (name, birth date), a
 * wristband QR code read by the device camera (Chromium's fake camera playing a y4m made from a generated code),
 * a keyboard-wedge scan (code + Enter in the search box), the patient banner, the patient history with a thumbnail,
 * recently used patients first — and a clinician of another department who sees nothing of the patient.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { BarcodeFormat, EncodeHintType, QRCodeWriter } from "@zxing/library";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TAppProcess } from "../support/app-process";
import { CHROMIUM_FLAGS, mllpSend, SCREENS_DIR, signIn } from "../support/e2e-browser";
import { createTestDatabase, type TTestDatabase } from "../support/test-db";

const PASSWORD = "e2e-bedside-password";
const SHOTS = SCREENS_DIR;
const TABLET = { viewport: { width: 800, height: 1280 }, deviceScaleFactor: 1, hasTouch: true, isMobile: true };

const now = (): string => new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
const hl7Fields = (segment: string, values: Record<number, string>): string => {
  const last = Math.max(...Object.keys(values).map(Number));
  return [segment, ...Array.from({ length: last }, (_, i) => values[i + 1] ?? "")].join("|");
};
const adt = (control: string, mrn: string, visit: string, name: string, birth: string, poc: string): string =>
  [
    `MSH|^~\\&|ADTSYS|GENHOSP|ECAPTURE|GENHOSP|${now()}||ADT^A01^ADT_A01|${control}|P|2.5.1||||||UNICODE UTF-8`,
    `EVN|A01|${now()}`,
    `PID|1||${mrn}^^^GENHOSP^MR||${name}||${birth}|F`,
    hl7Fields("PV1", { 1: "1", 2: "I", 3: `${poc}^12^B^GENHOSP`, 19: `${visit}^^^GENHOSP^VN`, 44: now() }),
  ].join("\r") + "\r";

const sendAdt = (port: number, message: string): void => {
  expect(mllpSend(port, message)).toMatch(/MSA\|AA/);
};

/** A QR code PNG (ZXing's writer), then a y4m clip of it for Chromium's fake camera. */
const makeBarcodeVideo = async (dir: string, text: string): Promise<string> => {
  const matrix = new QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, 400, 400, new Map([[EncodeHintType.MARGIN, 4]]) as never);
  const [w, h] = [matrix.getWidth(), matrix.getHeight()];
  const gray = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      gray[y * w + x] = matrix.get(x, y) ? 0 : 255;
    }
  }
  const png = path.join(dir, "wristband-qr.png");
  await sharp(gray, { raw: { width: w, height: h, channels: 1 } }).png().toFile(png);
  const y4m = path.join(dir, "wristband-qr.y4m");
  execFileSync("ffmpeg", ["-v", "error", "-y", "-loop", "1", "-i", png, "-t", "2", "-r", "10", "-vf", "scale=480:480,pad=640:480:80:0:white,format=yuv420p", y4m]);

  return y4m;
};

describe(`bedside worklist on a tablet (${process.env.TEST_DB ?? "sqlite"})`, () => {
  let database: TTestDatabase;
  let app: TAppProcess;
  let browser: Browser;
  let annaEncounter = "";
  let thumbnailUrl = "";

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.$disconnect();
    app = await startApp({ dataDir: database.dataDir, databaseUrl: database.url, demoPassword: PASSWORD });
    sendAdt(app.mllpPort, adt("BW-1", "QR4711", "VB-1", "Quast^Anna^Maria^^Dr", "19800214", "DERM"));
    sendAdt(app.mllpPort, adt("BW-2", "WB0815", "VB-2", "Brandt^Berta", "19550707", "DERM"));
    sendAdt(app.mllpPort, adt("BW-3", "WD0001", "VB-3", "Woundly^Wilma", "19800214", "WOUND"));
    const video = await makeBarcodeVideo(database.dataDir, "QR4711^^^GENHOSP^MR");
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        ...CHROMIUM_FLAGS,
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", `--use-file-for-fake-video-capture=${video}`,
      ],
    });
    fs.mkdirSync(SHOTS, { recursive: true });
    // An earlier capture of Anna, made over the API, for the history view.
    const token = app.cli("token:create", "--user", "derm@example.org");
    const auth = { authorization: `Bearer ${token}` };
    const [enc] = (await (await fetch(`${app.baseUrl}/api/v1/encounters?q=QR4711`, { headers: auth })).json()) as { id: string }[];
    annaEncounter = enc!.id;
    const procedures = (await (await fetch(`${app.baseUrl}/api/v1/procedures`, { headers: auth })).json()) as { id: string }[];
    const form = new FormData();
    form.set("encounterId", annaEncounter);
    form.set("procedureId", procedures[0]!.id);
    const photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 190, g: 110, b: 100 } } }).jpeg().toBuffer();
    form.append("file", new Blob([new Uint8Array(photo)], { type: "image/jpeg" }), "earlier.jpg");
    expect((await fetch(`${app.baseUrl}/api/v1/captures`, { method: "POST", headers: auth, body: form })).status).toBe(201);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await database?.drop();
  }, 60_000);

  it("searches as the clinician types (name part, birth date) with large rows", async () => {
    const context = await browser.newContext(TABLET);
    const page = await context.newPage();
    await signIn(page, app.baseUrl, "derm@example.org", PASSWORD);
    await page.getByRole("link", { name: /QUAST, Dr Anna Maria/ }).waitFor();
    await page.getByRole("link", { name: /BRANDT, Berta/ }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, "worklist-portrait.png") });
    await page.getByLabel("Find a patient").fill("14.02.1980");
    await page.getByRole("link", { name: /BRANDT/ }).waitFor({ state: "detached" });
    expect(await page.getByRole("link", { name: /QUAST/ }).count()).toBe(1);
    expect(await page.getByRole("link", { name: /WOUNDLY/ }).count()).toBe(0);
    const box = await page.getByRole("link", { name: /QUAST/ }).boundingBox();
    expect(box!.height).toBeGreaterThanOrEqual(44);
    await page.getByLabel("Find a patient").fill("berta");
    await page.getByRole("link", { name: /QUAST/ }).waitFor({ state: "detached" });
    await page.getByRole("link", { name: /BRANDT, Berta/ }).waitFor();
    await context.close();
  });

  it("opens the patient from the wristband QR code seen by the camera, with banner and history", async () => {
    const context = await browser.newContext(TABLET);
    const page = await context.newPage();
    await signIn(page, app.baseUrl, "derm@example.org", PASSWORD);
    // Hold the lookup a moment so the screenshot shows the scanner with the code read.
    await page.route("**/api/v1/encounters/by-code*", async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.getByRole("button", { name: "Scan wristband" }).click();
    await page.getByRole("status").filter({ hasText: "Code read" }).waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(SHOTS, "scan.png") });
    await page.waitForURL(new RegExp(`/encounters/${annaEncounter}$`), { timeout: 20_000 });
    const banner = page.getByTestId("patient-banner");
    await expect.poll(() => banner.textContent()).toContain("QUAST, Dr Anna Maria");
    expect(await banner.textContent()).toMatch(/1980-02-14 \(\d+ y\).*female.*QR4711.*GENHOSP.*VB-1/);
    // The earlier capture with its thumbnail (a real JPEG, loaded).
    const thumb = page.getByTestId("patient-history").getByRole("img").first();
    await thumb.scrollIntoViewIfNeeded();
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(320);
    thumbnailUrl = new URL((await thumb.getAttribute("src"))!, app.baseUrl).toString();
    await page.screenshot({ path: path.join(SHOTS, "history.png"), fullPage: true });
    // Switching patient with a capture not sent yet asks first: stay keeps it, discard leaves.
    await page.getByTestId("file-input").setInputFiles({ name: "unsent.jpg", mimeType: "image/jpeg", buffer: await sharp({ create: { width: 64, height: 48, channels: 3, background: "#a55" } }).jpeg().toBuffer() });
    await page.getByTestId("capture-item").first().waitFor();
    await banner.getByRole("link", { name: "Switch patient" }).click();
    const guard = page.getByRole("dialog", { name: "Captures not sent" });
    await guard.waitFor();
    expect(await guard.textContent()).toContain("1 capture of this patient is not sent yet");
    await guard.getByRole("button", { name: "Stay and send" }).click();
    await guard.waitFor({ state: "hidden" });
    expect(page.url()).toMatch(new RegExp(`/encounters/${annaEncounter}$`));
    // The banner stays on screen while scrolling.
    await page.evaluate(() => {
      document.body.style.minHeight = "4000px";
      window.scrollTo(0, 3000);
    });
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(1000);
    expect((await banner.boundingBox())!.y).toBeLessThanOrEqual(1);
    expect(await banner.isVisible()).toBe(true);
    await page.evaluate(() => window.scrollTo(0, 0));
    await banner.getByRole("link", { name: "Switch patient" }).click();
    await guard.getByRole("button", { name: "Discard and switch" }).click();
    await page.waitForURL(/\/worklist/);
    await context.close();
  });

  it("opens a patient from a keyboard-wedge scan and lists recently used patients first", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
    const page = await context.newPage();
    await signIn(page, app.baseUrl, "derm@example.org", PASSWORD);
    // Anna was opened in the previous test: she heads the Recent group.
    const recent = page.getByRole("list", { name: "Recent patients" });
    await recent.getByRole("link", { name: /QUAST/ }).waitFor();
    expect(await recent.getByRole("link", { name: /BRANDT/ }).count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, "worklist.png") });
    await page.getByLabel("Find a patient").fill("WB0815^^^GENHOSP");
    await page.getByLabel("Find a patient").press("Enter");
    await page.waitForURL(/\/encounters\//);
    await expect.poll(() => page.getByTestId("patient-banner").textContent()).toContain("BRANDT, Berta");
    await page.goto(`${app.baseUrl}/worklist`);
    await expect.poll(() => recent.getByRole("link").allTextContents()).toEqual([expect.stringMatching(/BRANDT/), expect.stringMatching(/QUAST/)]);
    // An unknown wristband code says so.
    await page.getByLabel("Find a patient").fill("NOSUCH-1");
    await page.getByLabel("Find a patient").press("Enter");
    await page.getByRole("alert").filter({ hasText: "No patient of your departments has this wristband code" }).waitFor();
    await context.close();
  });

  it("shows a clinician of another department nothing of the patient", async () => {
    const context = await browser.newContext(TABLET);
    const page = await context.newPage();
    await signIn(page, app.baseUrl, "wound@example.org", PASSWORD);
    await page.getByRole("link", { name: /WOUNDLY, Wilma/ }).waitFor();
    expect(await page.getByRole("link", { name: /QUAST|BRANDT/ }).count()).toBe(0);
    await page.getByLabel("Find a patient").fill("QR4711");
    await page.getByText(/No patient on your worklist matches/).waitFor();
    const direct = await page.goto(`${app.baseUrl}/encounters/${annaEncounter}`);
    expect(direct!.status()).toBe(404);
    expect(await page.content()).not.toContain("QUAST");
    const byCode = await page.request.get(`${app.baseUrl}/api/v1/encounters/by-code?code=QR4711`);
    expect(byCode.status()).toBe(404);
    const token = app.cli("token:create", "--user", "derm@example.org");
    const asDerm = await fetch(`${app.baseUrl}/api/v1/encounters?q=QR4711`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await asDerm.json()) as unknown[]).length).toBe(1);
    expect(thumbnailUrl).toMatch(/\/api\/v1\/instances\/.+\/thumbnail$/);
    expect((await page.request.get(thumbnailUrl)).status()).toBe(404);
    await context.close();
  });
});
