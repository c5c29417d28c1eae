/**
 * The bedside flow on a tablet through the real UI, with Chromium's fake camera (a moving test pattern): open the
 * camera, take two photos with the shutter, record a ~2 s video, tap a body site on the map (and give one photo
 * its own), choose consent, send, and see every item *stored*; the objects are in Orthanc with the consent and the
 * sides chosen, and dciodvfy-clean. Landscape (1280×800) and portrait (800×1280), touch.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TAppProcess } from "../support/app-process";
import { CHROMIUM_FLAGS, FAKE_CAMERA_FLAGS, registerOutpatient, SCREENS_DIR, signIn } from "../support/e2e-browser";
import { startOrthanc, type TOrthanc } from "../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../support/test-db";
import { runDciodvfy, runDcmdump } from "../support/dicom-tools";

const PASSWORD = "e2e-bedside-password";
const SHOTS = SCREENS_DIR;
const CHROMIUM_FLAGS_CAMERA = [...CHROMIUM_FLAGS, ...FAKE_CAMERA_FLAGS];
/** Debian dicom3tools (2022) reports this for every consent item although the attribute is absent (lib/dicom/README.md). */
const KNOWN_FALSE_POSITIVE = /ConsentForClinicalTrialUseSequence\(0012,0083\)\[\d+\]\/ClinicalTrialProtocolID\(0012,0020\)> - Only permitted when DistributionType is NAMED_PROTOCOL$/;


describe(`bedside capture on a tablet (${process.env.TEST_DB ?? "sqlite"})`, () => {
  let database: TTestDatabase;
  let app: TAppProcess;
  let orthanc: TOrthanc;
  let browser: Browser;

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.$disconnect();
    orthanc = await startOrthanc();
    app = await startApp({ dataDir: database.dataDir, databaseUrl: database.url, demoPassword: PASSWORD });
    app.cli("destination:add", "--name", "orthanc", "--stow-url", orthanc.stowUrl);
    registerOutpatient(app.mllpPort, { control: "BED-1", mrn: "BED1001", visit: "V-BED-1", name: "Bedside^Bruno", birthDate: "19750612", sex: "M", attending: "1234^Attending^Ann^^^Dr" });
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS_CAMERA });
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await orthanc?.stop();
    await database?.drop();
  }, 60_000);

  /** A tablet context (touch), signed in as the dermatology clinician, on the patient's capture page. */
  const openPatient = async (viewport: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1, hasTouch: true, isMobile: true });
    await context.grantPermissions(["camera"], { origin: app.baseUrl });
    const page = await context.newPage();
    await signIn(page, app.baseUrl, "derm@example.org", PASSWORD);
    await page.getByLabel("Find a patient").fill("bedside");
    // The list refreshes as you type: open the row's address rather than racing a re-render with a tap.
    const href = await page.getByRole("link", { name: /BEDSIDE, Bruno/ }).getAttribute("href");
    await page.goto(new URL(href!, app.baseUrl).toString());
    await page.getByTestId("patient-banner").waitFor();
    await page.getByLabel(/Skin lesion photography/).check();
    return { context, page };
  };
  const openCamera = async (page: Page): Promise<void> => {
    await page.getByRole("button", { name: "Open camera" }).tap();
    await expect
      .poll(() => page.getByLabel("Live camera view").evaluate((v) => (v as HTMLVideoElement).videoWidth), { timeout: 15_000 })
      .toBeGreaterThan(0);
  };

  it("takes two photos and a video, picks body sites and consent, sends, and sees every item stored", async () => {
    const { context, page } = await openPatient({ width: 1280, height: 800 });
    await openCamera(page);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(SHOTS, "capture.png") });

    const shutter = page.getByRole("button", { name: "Shutter: take a photo" });
    const toSend = page.getByTestId("review-strip");
    await shutter.tap();
    await toSend.getByRole("img", { name: "Photo photo-1.jpg" }).waitFor();
    await shutter.tap();
    await toSend.getByRole("img", { name: "Photo photo-2.jpg" }).waitFor();
    await page.getByRole("button", { name: "Record video" }).tap();
    await page.getByRole("timer", { name: "Recording time" }).waitFor();
    await page.waitForTimeout(2200);
    await page.getByRole("button", { name: "Stop recording" }).tap();
    await toSend.getByText("video-1.webm").waitFor();
    await expect.poll(() => toSend.getByTestId("item-count").textContent()).toContain("3 items");
    // The video's poster is drawn from the recorded Blob.
    await toSend.getByRole("img", { name: "Video video-1.webm" }).waitFor({ timeout: 10_000 });
    await page.getByRole("button", { name: "Close camera" }).tap();

    // Body map: tap the patient's left forearm on the front figure …
    const map = page.getByTestId("body-map").first();
    await map.getByRole("button", { name: "Left forearm", exact: true }).tap();
    await expect.poll(() => map.getByTestId("chosen-site").textContent()).toMatch(/Forearm · Left/);
    expect(await map.getByRole("button", { name: "Left forearm", exact: true }).getAttribute("aria-pressed")).toBe("true");
    await map.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, "body-map.png") });
    // … and give the second photo its own site, from the back figure: the right hand.
    await toSend.getByRole("button", { name: /^Body site of photo-2\.jpg/ }).tap();
    const dialog = page.getByRole("dialog", { name: "Body site of photo-2.jpg" });
    await dialog.getByRole("button", { name: "Right hand (back)" }).tap();
    await expect.poll(() => dialog.getByTestId("chosen-site").textContent()).toMatch(/Hand · Right/);
    await dialog.getByRole("button", { name: "Done" }).tap();
    await expect.poll(() => toSend.getByRole("button", { name: /^Body site of photo-2\.jpg/ }).textContent()).toMatch(/Hand, right/);

    // Consent is required: sending without it says so and sends nothing.
    const sendButton = page.getByRole("button", { name: /Send 3 files/ });
    await sendButton.tap();
    await page.getByRole("alert").filter({ hasText: "Choose the patient's consent first" }).waitFor();
    await page.getByLabel(/Also teaching/).check();
    await toSend.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, "review.png") });
    await sendButton.tap();

    const sent = page.getByTestId("sent-strip");
    await expect.poll(() => sent.getByTestId("item-state").filter({ hasText: "stored in archive" }).count(), { timeout: 60_000 }).toBe(3);
    await sent.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, "sent.png") });
    // Nothing left to send; the previews are gone with the media.
    expect(await toSend.getByTestId("capture-item").count()).toBe(0);
    expect(await sent.locator("img").count()).toBe(0);
    await context.close();

    // In the archive: three objects, with the consent and each item's side.
    const uids = await orthanc.listSopInstanceUids();
    expect(uids).toHaveLength(3);
    const sides: string[] = [];
    for (const uid of uids) {
      const file = path.join(database.dataDir, `archived-${uid}.dcm`);
      fs.writeFileSync(file, await orthanc.getInstanceFile(uid));
      const dump = runDcmdump(file, ["-Un"]);
      expect(dump).toMatch(/\(0012,0085\) CS \[YES\]/);
      expect(dump).toMatch(/\(0012,0084\) CS \[RESTRICTED_REUSE\]/);
      expect(dump).not.toMatch(/\(0012,0020\)/);
      sides.push(`${/\(0008,0016\) UI \[([\d.]+)\]/.exec(dump)?.[1]} ${/\(0020,0062\) CS \[(\w)\]/.exec(dump)?.[1]}`);
      const errors = runDciodvfy(file).split("\n").map((l) => l.trim()).filter((l) => /^Error/i.test(l) && !KNOWN_FALSE_POSITIVE.test(l));
      expect(errors, dump).toEqual([]);
      expect(dump).toMatch(/\(0008,0104\) LO \[(Forearm|Hand)\]/);
    }
    expect(sides.sort()).toEqual([
      "1.2.840.10008.5.1.4.1.1.77.1.4 L",
      "1.2.840.10008.5.1.4.1.1.77.1.4 R",
      "1.2.840.10008.5.1.4.1.1.77.1.4.1 L",
    ]);
  });

  it("API: consent is optional (recorded as not recorded), a wrong value is refused with the reason", async () => {
    const auth = { authorization: `Bearer ${app.cli("token:create", "--user", "derm@example.org")}` };
    const [encounter] = (await (await fetch(`${app.baseUrl}/api/v1/encounters?q=bedside`, { headers: auth })).json()) as { id: string }[];
    const procedures = (await (await fetch(`${app.baseUrl}/api/v1/procedures`, { headers: auth })).json()) as { id: string; code: string }[];
    const procedureId = procedures.find((p) => p.code === "DERM-LESION")!.id;
    const photo = fs.readFileSync(path.join(SHOTS, "capture.png"));
    const form = (consent?: string): FormData => {
      const f = new FormData();
      f.set("encounterId", encounter!.id);
      f.set("procedureId", procedureId);
      if (consent !== undefined) {
        f.set("consent", consent);
      }
      f.append("file", new Blob([new Uint8Array(photo)], { type: "image/png" }), "api-photo.png");
      return f;
    };
    const refused = await fetch(`${app.baseUrl}/api/v1/captures`, { method: "POST", headers: auth, body: form("maybe") });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/consent must be one of clinical, teaching, publication, paper/);
    const without = await fetch(`${app.baseUrl}/api/v1/captures`, { method: "POST", headers: auth, body: form() });
    expect(without.status).toBe(201);
    expect(((await without.json()) as { consent: string }).consent).toBe("");
    const withConsent = await fetch(`${app.baseUrl}/api/v1/captures`, { method: "POST", headers: auth, body: form("paper") });
    expect(((await withConsent.json()) as { consent: string }).consent).toBe("paper");
  });

  it("shows the camera and the body map in portrait", async () => {
    const { context, page } = await openPatient({ width: 800, height: 1280 });
    await openCamera(page);
    await page.getByRole("button", { name: "Shutter: take a photo" }).tap();
    await page.getByTestId("review-strip").getByRole("img", { name: "Photo photo-1.jpg" }).waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SHOTS, "capture-portrait.png") });
    // A file the server refuses fails by name with the reason; the rest stays ready and goes once it is removed.
    const toSend = page.getByTestId("review-strip");
    await page.getByTestId("file-input").setInputFiles({ name: "broken.jpg", mimeType: "image/jpeg", buffer: Buffer.from("not a photo") });
    await page.getByLabel(/Clinical care only/).check();
    await page.getByRole("button", { name: /Send 2 photos/ }).tap();
    const broken = toSend.getByTestId("capture-item").filter({ hasText: "broken.jpg" });
    await broken.getByTestId("item-state").filter({ hasText: "failed" }).waitFor({ timeout: 30_000 });
    expect(await broken.textContent()).toMatch(/broken\.jpg: /);
    expect(await toSend.getByTestId("capture-item").filter({ hasText: "photo-1.jpg" }).getByTestId("item-state").textContent()).toBe("ready to send");
    await page.getByRole("alert").filter({ hasText: "remove broken.jpg and send again" }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, "failed-portrait.png") });
    await toSend.getByRole("button", { name: "Remove broken.jpg" }).tap();
    await page.getByRole("button", { name: /Send 1 photo/ }).tap();
    await expect.poll(() => page.getByTestId("sent-strip").getByTestId("item-state").filter({ hasText: "stored in archive" }).count(), { timeout: 60_000 }).toBe(1);
    // Keyboard: a region is focusable and Enter picks it.
    const abdomen = page.getByTestId("body-map").getByRole("button", { name: "Abdomen", exact: true });
    await abdomen.focus();
    await page.keyboard.press("Enter");
    expect(await abdomen.getAttribute("aria-pressed")).toBe("true");
    await context.close();
  });
});
