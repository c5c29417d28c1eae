/**
 * Routing in the browser: an admin creates a rule ("bucket") in /admin/routing, sees it listed with its conditions,
 * destination and identity, asks the preview where a dermatology photo from GENHOSP would go and gets the rule's
 * destination and identity; the divestiture page offers the export and re-delivery. The app runs as `npm start`
 * runs it.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TAppProcess } from "../support/app-process";
import { startOrthanc, type TOrthanc } from "../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../support/test-db";

const PASSWORD = "e2e-demo-password";
const SHOTS = path.resolve("test-output/screens");
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

describe(`routing admin (${process.env.TEST_DB ?? "sqlite"})`, () => {
  let database: TTestDatabase;
  let app: TAppProcess;
  let orthanc: TOrthanc;
  let browser: Browser;

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.$disconnect();
    orthanc = await startOrthanc();
    app = await startApp({ dataDir: database.dataDir, databaseUrl: database.url, demoPassword: PASSWORD });
    app.cli("destination:add", "--name", "bucket-vna", "--stow-url", orthanc.stowUrl);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await orthanc?.dispose();
    await database?.drop();
  }, 60_000);

  it("an admin creates a rule, previews a capture and opens the divestiture page", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/login`);
    await page.getByLabel("E-mail").fill("admin@example.org");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/worklist/);
    await page.getByRole("link", { name: "Routing" }).click();
    await page.getByRole("heading", { name: "Routing (buckets)" }).waitFor();
    expect(await page.getByTestId("routing-rules").textContent()).toMatch(/No rules/);

    const form = page.getByRole("form", { name: "New rule" });
    await form.getByLabel("Rule name").fill("GENHOSP dermatology");
    await page.locator("#rule-facility").selectOption("GENHOSP");
    await page.locator("#rule-department").selectOption("DERM");
    await page.locator("#rule-modality").selectOption("XC");
    await form.getByRole("checkbox", { name: /bucket-vna/ }).check();
    await page.locator("#rule-issuerOfPatientId").fill("GENHOSP-DERM");
    await page.locator("#rule-institutionName").fill("General Hospital");
    await page.locator("#rule-sourceSystemCode").fill("ENCAP_DERM");
    await form.getByRole("button", { name: "Create rule" }).click();
    await page.waitForURL(/saved=/);
    const row = page.getByRole("row", { name: /GENHOSP dermatology/ });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/facility GENHOSP · department DERM · modality XC.*bucket-vna.*Issuer GENHOSP-DERM · Institution General Hospital · Source ENCAP_DERM.*v1/);

    await page.locator("#preview-facility").selectOption("GENHOSP");
    await page.locator("#preview-item").selectOption({ label: "DERM-TBP – Total body photography" });
    await page.locator("#preview-modality").selectOption("XC");
    await page.getByRole("button", { name: "Preview" }).click();
    const answer = page.getByTestId("preview-answer");
    await answer.getByText(/bucket-vna/).waitFor();
    expect(await answer.textContent()).toMatch(/bucket-vna — rule “GENHOSP dermatology” v1 — identity: Issuer GENHOSP-DERM · Institution General Hospital · Source ENCAP_DERM/);
    expect(await page.getByTestId("unrouted-count").textContent()).toBe("0");
    await page.screenshot({ path: path.join(SHOTS, "admin-routing.png"), fullPage: true });

    // A capture no rule covers would be unrouted: the preview says so.
    await page.locator("#preview-facility").selectOption("GENHOSP");
    await page.locator("#preview-item").selectOption({ label: "GI-EGD – Upper GI endoscopy images" });
    await page.locator("#preview-modality").selectOption("ES");
    await page.getByRole("button", { name: "Preview" }).click();
    await answer.getByText(/Unrouted/).waitFor();

    // Edit: a new version, shown in the history.
    await row.getByRole("link", { name: "GENHOSP dermatology" }).click();
    await page.getByRole("heading", { name: /Edit rule/ }).waitFor();
    await page.locator("#rule-institutionName").fill("General Hospital North");
    await page.getByRole("button", { name: "Save as new version" }).click();
    await page.getByRole("status").filter({ hasText: "Saved as version 2" }).waitFor();
    await page.reload();
    expect(await page.getByRole("row", { name: /v2 \(current\)/ }).textContent()).toMatch(/General Hospital North/);
    expect(await page.getByRole("row", { name: /^v1 / }).textContent()).toMatch(/Institution General Hospital ·/);
    await page.screenshot({ path: path.join(SHOTS, "admin-routing-rule.png"), fullPage: true });

    // Divestiture page on a portrait tablet: count before re-delivering (nothing captured yet: 0).
    await page.setViewportSize({ width: 800, height: 1280 });
    await page.goto(`${app.baseUrl}/admin/routing/export`);
    await page.locator("#redeliver-scope").selectOption({ label: "Facility GENHOSP – General Hospital" });
    await page.locator("#redeliver-destination").selectOption({ label: "bucket-vna" });
    await page.getByRole("button", { name: "Count" }).click();
    await page.getByRole("alertdialog").getByText(/0 in scope/).waitFor();
    const csv = await page.request.get(`${app.baseUrl}/admin/routing/export/csv?facilityId=${await page.locator("#export-facility").inputValue()}`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-type"]).toMatch(/text\/csv/);
    expect((await csv.text()).split("\r\n")[0]).toMatch(/^patient_id,issuer_of_patient_id,visit_number/);
    await page.screenshot({ path: path.join(SHOTS, "admin-routing-export.png"), fullPage: true });
    await context.close();
  });

  it("refuses the routing pages and the export to a clinician", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/login`);
    await page.getByLabel("E-mail").fill("derm@example.org");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/worklist/);
    expect(await page.getByRole("link", { name: "Routing" }).count()).toBe(0);
    const csv = await page.request.get(`${app.baseUrl}/admin/routing/export/csv?facilityId=x`);
    expect(csv.status()).toBe(403);
    const res = await page.goto(`${app.baseUrl}/admin/routing`);
    expect(await page.getByRole("heading", { name: "Routing (buckets)" }).count()).toBe(0);
    expect(res?.status()).not.toBe(200);
    await context.close();
  });
});
