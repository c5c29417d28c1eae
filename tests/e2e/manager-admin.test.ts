/**
 * The manager's catalog and the admin's console in a real browser (Debian chromium, tablet viewports) against the
 * app as `npm start` runs it: an admin creates a department manager, an API token and reads the audit log; the
 * manager creates, edits and reorders (keyboard) a catalog item, cannot open another department's catalog, and a
 * clinician in another browser context sees the change in the capture form's procedure list.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TAppProcess } from "../support/app-process";
import { CHROMIUM_FLAGS, mllpSend, newSignedInPage, SCREENS_DIR } from "../support/e2e-browser";
import { createTestDatabase, type TTestDatabase } from "../support/test-db";

const PASSWORD = "e2e-demo-password";
const MANAGER = { email: "derm.manager@example.org", password: "derm-manager-pw-1" };
const SHOTS = SCREENS_DIR;
const LANDSCAPE = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, hasTouch: true };
const PORTRAIT = { viewport: { width: 800, height: 1280 }, deviceScaleFactor: 1, hasTouch: true, isMobile: true };

const now = (): string => new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
const a04 = (control: string, mrn: string, visit: string, name: string, poc: string): string =>
  [
    `MSH|^~\\&|ADTSYS|GENHOSP|ECAPTURE|GENHOSP|${now()}||ADT^A04^ADT_A01|${control}|P|2.5.1`,
    `EVN|A04|${now()}`,
    `PID|1||${mrn}^^^GENHOSP^MR||${name}||19700101|M`,
    `PV1|1|O|${poc}^1^A^GENHOSP||||||||||||||||${visit}^^^GENHOSP^VN`,
  ].join("\r") + "\r";

describe(`manager and admin (${process.env.TEST_DB ?? "sqlite"})`, () => {
  let database: TTestDatabase;
  let app: TAppProcess;
  let browser: Browser;
  let encounterId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.$disconnect();
    app = await startApp({ dataDir: database.dataDir, databaseUrl: database.url, demoPassword: PASSWORD });
    expect(mllpSend(app.mllpPort, a04("E2E-MA-1", "MA1001", "V-MA-1", "Catalogue^Carl", "DERM"))).toMatch(/MSA\|AA/);
    const token = app.cli("token:create", "--user", "derm@example.org");
    const found = (await (await fetch(`${app.baseUrl}/api/v1/encounters?q=catalogue`, { headers: { authorization: `Bearer ${token}` } })).json()) as { id: string }[];
    encounterId = found[0]!.id;
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await database?.drop();
  }, 60_000);

  it("an admin creates a department manager and an API token, and filters the audit log", async () => {
    const context = await browser.newContext(LANDSCAPE);
    const page = await newSignedInPage(context, app.baseUrl, "admin@example.org", PASSWORD);
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link", { name: "Admin", exact: true }).count()).toBe(1);
    await nav.getByRole("link", { name: "Admin", exact: true }).click();
    await page.getByRole("heading", { name: "Administration" }).waitFor();
    for (const section of ["Users", "API tokens", "Audit log", "Facilities", "Location map", "Destinations", "Routing rules", "HL7 messages", "Identity changes"]) {
      expect(await page.getByRole("main").getByRole("link", { name: new RegExp(`^${section}`) }).count(), section).toBe(1);
    }
    await page.screenshot({ path: path.join(SHOTS, "admin.png"), fullPage: true });

    // A manager of Dermatology only, with a first password the admin sets.
    await page.getByRole("main").getByRole("link", { name: /^Users/ }).click();
    const form = page.getByRole("form", { name: "New user" });
    await form.getByLabel("E-mail").fill(MANAGER.email);
    await form.getByLabel("Name").fill("Dora Dermanager");
    await form.getByLabel("Role").selectOption("manager");
    await form.getByLabel("Dermatology (DERM)").check();
    await form.getByLabel(/First password/).fill(MANAGER.password);
    await form.getByRole("button", { name: "Create user" }).click();
    await form.getByRole("status").filter({ hasText: "User created." }).waitFor();
    // Without a password one is generated and shown once.
    await form.getByLabel("E-mail").fill("night.nurse@example.org");
    await form.getByLabel("Name").fill("Nils Night");
    await form.getByLabel("Role").selectOption("clinician");
    await form.getByLabel("Dermatology (DERM)").uncheck();
    await form.getByLabel("Wound care (WOUND)").check();
    await form.getByLabel(/First password/).fill("");
    await form.getByRole("button", { name: "Create user" }).click();
    const shown = form.getByTestId("shown-once");
    await shown.waitFor();
    expect(await shown.textContent()).toMatch(/^[\w-]{15}$/);
    await page.reload();
    const row = page.getByRole("row", { name: /derm\.manager@example\.org/ });
    expect((await row.getByRole("cell").allTextContents()).slice(1, 4)).toEqual(["manager", "DERM", "Active"]);
    await page.screenshot({ path: path.join(SHOTS, "admin-users.png"), fullPage: true });

    // An API token, shown once, that works, and that the list shows as used without revealing it.
    await page.goto(`${app.baseUrl}/admin/tokens`);
    const tokenForm = page.getByRole("form", { name: "New API token" });
    await tokenForm.getByLabel("Acts as user").selectOption({ label: "derm@example.org (clinician)" });
    await tokenForm.getByLabel(/Label/).fill("ward scanner");
    await tokenForm.getByRole("button", { name: "Create token" }).click();
    const token = await tokenForm.getByLabel("New token").inputValue();
    expect(token).toMatch(/^ect_/);
    expect((await fetch(`${app.baseUrl}/api/v1/procedures`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    await page.reload();
    const tokenRow = page.getByRole("row", { name: /ward scanner/ });
    expect(await tokenRow.textContent()).toMatch(/derm@example\.org.*UTC.*\d{4}-\d{2}-\d{2}.*Active/);
    expect(await page.content()).not.toContain(token);
    page.once("dialog", (d) => void d.accept());
    await tokenRow.getByRole("button", { name: "Revoke token ward scanner" }).click();
    await expect.poll(() => page.getByRole("row", { name: /ward scanner/ }).textContent()).toMatch(/revoked/);
    expect((await fetch(`${app.baseUrl}/api/v1/procedures`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);

    // The audit log, filtered to user administration, shows what was just done; reading it is audited.
    await page.goto(`${app.baseUrl}/admin/audit`);
    const filter = page.getByRole("form", { name: "Filter the audit log" });
    await filter.getByLabel("Action").selectOption("user.*");
    await filter.getByLabel("User e-mail").fill("admin@");
    const today = new Date().toISOString().slice(0, 10);
    await filter.getByLabel("From", { exact: true }).fill(today);
    await filter.getByLabel("To", { exact: true }).fill(today);
    await filter.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/action=user\.\*/);
    await page.getByRole("row", { name: /user\.create.*derm\.manager@example\.org/ }).waitFor();
    expect(await page.getByRole("row", { name: /token\.create/ }).count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, "admin-audit.png"), fullPage: true });
    const csv = await page.request.get(`${app.baseUrl}/admin/audit/export?action=user.*`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-type"]).toContain("text/csv");
    expect(await csv.text()).toMatch(/user\.create,0,admin@example\.org,,,user \w+,derm\.manager@example\.org: manager; departments DERM/);
    await page.goto(`${app.baseUrl}/admin/audit?action=audit.*`);
    await page.getByRole("row", { name: /audit\.export.*admin@example\.org/ }).waitFor();
    await context.close();
  });

  it("a manager creates, edits and reorders an item; a clinician in another browser sees it; other departments stay closed", async () => {
    const context = await browser.newContext(LANDSCAPE);
    const page = await newSignedInPage(context, app.baseUrl, MANAGER.email, MANAGER.password);
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link", { name: "Admin", exact: true }).count()).toBe(0);
    await nav.getByRole("link", { name: "Catalog" }).click();
    await page.getByRole("heading", { name: "Procedure catalog" }).waitFor();
    const departments = page.getByRole("navigation", { name: "Departments" });
    expect((await departments.getByRole("link").allTextContents()).map((t) => t.trim())).toEqual(["Dermatology (DERM)"]);
    const rows = page.getByTestId("catalog-row");
    const before = await rows.count();

    // Create …
    await page.getByRole("link", { name: "New item" }).click();
    const create = page.getByRole("form", { name: "New catalog item" });
    await create.getByLabel("Display text (Code Meaning)").fill("Scar assessment");
    await create.getByLabel("Local code").fill("DERM-SCAR");
    await create.getByLabel("Mapping scheme").selectOption("SCT");
    await create.getByLabel("Mapped code").fill("225552003");
    await create.getByLabel("Mapped meaning").fill("Wound care management");
    await create.getByRole("checkbox", { name: "Video" }).uncheck();
    await create.getByLabel("Default body site").selectOption({ label: "Forearm" });
    await create.getByLabel("Body site required for every image").check();
    await create.getByLabel("Default laterality").selectOption("L");
    await create.getByRole("button", { name: "Create item" }).click();
    await page.waitForURL(/\/catalog\/[^/?]+\?created=1/);
    await page.getByRole("status").filter({ hasText: "Created as version 1." }).waitFor();
    // … edit …
    const edit = page.getByRole("form", { name: "Edit catalog item" });
    await edit.getByLabel("Display text (Code Meaning)").fill("Scar assessment (post-op)");
    await edit.getByRole("button", { name: "Save changes" }).click();
    await edit.getByRole("status").filter({ hasText: "Saved as version 2." }).waitFor();
    await page.reload();
    expect(await page.getByTestId("version").count()).toBe(2);
    expect(await page.getByTestId("version").first().textContent()).toMatch(/Version 2.*Dora Dermanager.*changed: Display text/);
    await page.getByTestId("version").first().locator("summary").click();
    await page.screenshot({ path: path.join(SHOTS, "catalog-edit.png"), fullPage: true });

    // … and move it to the top with the keyboard: focus stays on the moved item's button.
    await page.getByRole("link", { name: /DERM catalog/ }).click();
    await rows.nth(before).waitFor();
    expect(await rows.count()).toBe(before + 1);
    expect(await rows.last().textContent()).toContain("Scar assessment (post-op)");
    const up = page.getByRole("button", { name: "Move Scar assessment (post-op) up" });
    await up.focus();
    for (let position = before; position >= 1; position--) {
      await page.keyboard.press("Enter");
      await page.getByRole("status").filter({ hasText: `to position ${position} of ${before + 1}` }).waitFor();
      await expect.poll(() => rows.nth(position - 1).textContent()).toContain("Scar assessment (post-op)");
      // Focus is back on the moved item's button, ready for the next key press once the move has settled.
      await expect
        .poll(() => page.evaluate(() => `${document.activeElement?.getAttribute("aria-label")} ${document.activeElement?.getAttribute("aria-disabled")}`))
        .toMatch(/^Move Scar assessment \(post-op\) (up|down) null$/);
    }
    expect(await rows.first().textContent()).toContain("Scar assessment (post-op)");
    expect(await up.isDisabled()).toBe(true);
    expect(await rows.first().getByTestId("usage").textContent()).toMatch(/0 captures.*never used/);
    await page.screenshot({ path: path.join(SHOTS, "catalog.png"), fullPage: true });

    // Another department's catalog: neither the page nor the export.
    await page.goto(`${app.baseUrl}/catalog?department=GI`);
    await page.getByRole("alert").filter({ hasText: "You do not manage the catalog of GI." }).waitFor();
    expect((await page.request.get(`${app.baseUrl}/catalog/export?department=GI`)).status()).toBe(403);
    const derm = await page.request.get(`${app.baseUrl}/catalog/export?department=DERM`);
    expect(await derm.text()).toContain("DERM-SCAR,99EC,Scar assessment (post-op),XC,photo,14975008,true,L,225552003,SCT,Wound care management,,true,");

    // The clinician, in another browser context (portrait tablet), sees the new item first in the procedure list.
    const clinicianContext = await browser.newContext(PORTRAIT);
    const clinician = await newSignedInPage(clinicianContext, app.baseUrl, "derm@example.org", PASSWORD);
    expect(await clinician.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Catalog" }).count()).toBe(0);
    // Whatever widget the capture form uses for the procedure (radio, button, select), the new item comes first.
    const procedureText = async (): Promise<string> => {
      await clinician.goto(`${app.baseUrl}/encounters/${encounterId}`);
      await clinician.getByText("Skin lesion photography").first().waitFor();
      return clinician.locator("body").innerText();
    };
    const shown = await procedureText();
    expect(shown.indexOf("Scar assessment (post-op)")).toBeGreaterThanOrEqual(0);
    expect(shown.indexOf("Scar assessment (post-op)")).toBeLessThan(shown.indexOf("Skin lesion photography"));
    await clinician.goto(`${app.baseUrl}/catalog`);
    await clinician.getByRole("alert").filter({ hasText: "maintained by your department" }).waitFor();

    // Deactivated, it leaves the clinician's list at once.
    await page.goto(`${app.baseUrl}/catalog?department=DERM`);
    await rows.first().getByRole("link", { name: "Scar assessment (post-op)" }).click();
    await page.getByRole("button", { name: "Deactivate" }).click();
    await page.getByRole("status").filter({ hasText: "Deactivated (version" }).waitFor();
    expect(await procedureText()).not.toContain("Scar assessment");

    // Portrait: the manager's list fits the 800 px width (the table scrolls inside itself, not the page).
    const portrait = await browser.newContext(PORTRAIT);
    const managerPortrait = await newSignedInPage(portrait, app.baseUrl, MANAGER.email, MANAGER.password);
    await managerPortrait.goto(`${app.baseUrl}/catalog`);
    await managerPortrait.getByTestId("catalog-row").first().waitFor();
    expect(await managerPortrait.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
    await managerPortrait.screenshot({ path: path.join(SHOTS, "catalog-portrait.png"), fullPage: true });
    await portrait.close();
    await clinicianContext.close();
    await context.close();
  });
});
