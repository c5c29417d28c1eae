/**
 * Routing in the browser: an admin creates a rule ("bucket") in /admin/routing, sees it listed with its conditions,
 * destination and identity, asks the preview where a dermatology photo from GENHOSP would go and gets the rule's
 * destination and identity; the divestiture page offers the export and re-delivery. The app runs as `npm start`
 * runs it.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import sharp from "sharp";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TAppProcess } from "../support/app-process";
import { CHROMIUM_FLAGS, registerOutpatient, SCREENS_DIR, signIn } from "../support/e2e-browser";
import { startOrthanc, type TOrthanc } from "../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../support/test-db";

const PASSWORD = "e2e-demo-password";
const SHOTS = SCREENS_DIR;


/**
 * One HTTP request on a fresh connection (no keep-alive pool: the app closes idle connections while the CLI runs,
 * and a pooled fetch would then fail with "other side closed").
 */
const request = async (method: string, url: string, headers: Record<string, string>, body?: FormData): Promise<{ status: number; json: () => unknown }> => {
  const encoded = body ? new Response(body) : undefined;
  const bytes = encoded ? Buffer.from(await encoded.arrayBuffer()) : undefined;
  const allHeaders = { ...headers, ...(encoded ? { "content-type": encoded.headers.get("content-type") ?? "", "content-length": String(bytes!.length) } : {}) };

  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: allHeaders, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, json: () => JSON.parse(text) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(bytes);
  });
};

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
    // A capture made before any rule exists (goes to every enabled destination), to re-deliver from the UI later.
    registerOutpatient(app.mllpPort, { control: "RT-E2E-1", mrn: "RTE2E01", visit: "RTE2E-V1", name: "Bucket^Rita", birthDate: "19750505", sex: "F", roomBed: "1^A" });
    const auth = { authorization: `Bearer ${app.cli("token:create", "--user", "derm@example.org")}` };
    const [encounter] = (await request("GET", `${app.baseUrl}/api/v1/encounters?q=RTE2E01`, auth)).json() as { id: string }[];
    const [procedure] = (await request("GET", `${app.baseUrl}/api/v1/procedures`, auth)).json() as { id: string }[];
    const form = new FormData();
    form.set("encounterId", encounter!.id);
    form.set("procedureId", procedure!.id);
    const jpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 180, g: 120, b: 100 } } }).jpeg().toBuffer();
    form.append("file", new Blob([new Uint8Array(jpeg)], { type: "image/jpeg" }), "lesion.jpg");
    expect((await request("POST", `${app.baseUrl}/api/v1/captures`, auth, form)).status).toBe(201);
    app.cli("destination:add", "--name", "new-owner-vna", "--stow-url", orthanc.stowUrl);
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
    await signIn(page, app.baseUrl, "admin@example.org", PASSWORD);
    await page.getByRole("link", { name: "Admin", exact: true }).click();
    await page.getByRole("link", { name: /Routing rules/ }).click();
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
    // The form now edits version 2 (a further save is based on it, not refused as stale).
    await expect.poll(() => page.locator('input[name="expectedVersion"]').inputValue()).toBe("2");
    expect(await page.locator("#rule-institutionName").inputValue()).toBe("General Hospital North");
    await page.reload();
    expect(await page.getByRole("row", { name: /v2 \(current\)/ }).textContent()).toMatch(/General Hospital North/);
    expect(await page.getByRole("row", { name: /^v1 / }).textContent()).toMatch(/Institution General Hospital ·/);
    await page.screenshot({ path: path.join(SHOTS, "admin-routing-rule.png"), fullPage: true });

    // Divestiture page on a portrait tablet: count, confirm, re-deliver; a second time adds nothing.
    await page.setViewportSize({ width: 800, height: 1280 });
    await page.goto(`${app.baseUrl}/admin/routing/export`);
    await page.locator("#redeliver-scope").selectOption({ label: "Facility GENHOSP – General Hospital" });
    await page.locator("#redeliver-destination").selectOption({ label: "new-owner-vna" });
    await page.getByRole("button", { name: "Count" }).click();
    const confirm = page.getByRole("alertdialog");
    await confirm.getByText(/1 in scope/).waitFor();
    expect(await page.locator("#redeliver-scope").inputValue()).toMatch(/^facility:/);
    await page.screenshot({ path: path.join(SHOTS, "admin-routing-export.png"), fullPage: true });
    await confirm.getByRole("button", { name: "Re-deliver 1 instance(s)" }).click();
    await page.getByRole("status").filter({ hasText: "Queued 1;" }).waitFor();
    // A second time adds nothing.
    await page.locator("#redeliver-destination").selectOption({ label: "bucket-vna" });
    await page.getByRole("button", { name: "Count" }).click();
    await page.getByRole("alertdialog").getByText(/0 instance\(s\) will be queued \(1 in scope; 1 already/).waitFor();
    const csv = await page.request.get(`${app.baseUrl}/admin/routing/export/csv?facilityId=${await page.locator("#export-facility").inputValue()}`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-type"]).toMatch(/text\/csv/);
    const csvLines = (await csv.text()).split("\r\n");
    expect(csvLines[0]).toMatch(/^patient_id,issuer_of_patient_id,visit_number/);
    expect(csvLines[1]).toMatch(/^RTE2E01,GENHOSP,RTE2E-V1,/);
    await context.close();
  });

  it("refuses the routing pages and the export to a clinician", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await signIn(page, app.baseUrl, "derm@example.org", PASSWORD);
    expect(await page.getByRole("link", { name: "Admin", exact: true }).count()).toBe(0);
    const csv = await page.request.get(`${app.baseUrl}/admin/routing/export/csv?facilityId=x`);
    expect(csv.status()).toBe(403);
    const res = await page.goto(`${app.baseUrl}/admin/routing`);
    expect(await page.getByRole("heading", { name: "Routing (buckets)" }).count()).toBe(0);
    expect(res?.status()).not.toBe(200);
    await context.close();
  });
});
