// @test-once-per-run: what it checks (axe rules, focus order, target sizes, overflow, layout shift) is the rendered UI, the same on either database; scripts/test.mjs runs it in the first database pass only.
/**
 * Accessibility and layout of every main screen in a real browser (Debian chromium): login, worklist, capture
 * (review strip with an item and the body-map dialog open), history, catalog list and item edit, and the admin
 * screens, at a 10" tablet in portrait (800×1280, touch), in landscape (1280×800, touch) and on a desktop
 * (1440×900). Per screen and viewport: axe-core (WCAG 2.0/2.1 A and AA rules) finds nothing serious or critical,
 * nothing overflows horizontally, and on the clinician screens every interactive target is at least 44×44 CSS px.
 * On the capture screen the keyboard reaches the controls in order with a visible focus indicator, and uploading a
 * few-MB photo over a throttled network shifts no layout (CLS < 0.1).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import sharp from "sharp";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TAppProcess } from "../support/app-process";
import { CHROMIUM_FLAGS, newSignedInPage, registerOutpatient, SCREENS_DIR } from "../support/e2e-browser";
import { createTestDatabase, type TTestDatabase } from "../support/test-db";

const PASSWORD = "e2e-a11y-password";
const SHOTS = SCREENS_DIR;
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const VIEWPORTS = [
  { name: "portrait", options: { viewport: { width: 800, height: 1280 }, deviceScaleFactor: 1, hasTouch: true, isMobile: true } },
  { name: "landscape", options: { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, hasTouch: true, isMobile: true } },
  { name: "desktop", options: { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 } },
] as const;


type TViolation = { id: string; impact: string; help: string; nodes: { target: string[] }[] };

/** axe-core on the whole document; the serious and critical violations, one line per rule and node. */
const axeProblems = async (page: Page): Promise<string[]> => {
  if (!(await page.evaluate(() => "axe" in window))) {
    await page.addScriptTag({ content: AXE_SOURCE });
  }
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: TViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${v.impact} ${v.id}: ${n.target.join(" ")} — ${v.help}`));
};

/** Interactive targets smaller than 44×44 CSS px (an input inside a label counts as the label's size). */
const smallTargets = (page: Page): Promise<string[]> =>
  page.evaluate(() => {
    const out: string[] = [];
    const els = document.querySelectorAll<HTMLElement>("a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex='-1'])");
    for (const el of els) {
      const target = (el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement) && el.closest("label") ? el.closest("label")! : el;
      const r = target.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || style.visibility === "hidden" || el.closest("[hidden], [aria-hidden=true]")) {
        continue;
      }
      // The body map's figure regions follow the anatomy; the search list beside it offers every site and side
      // with 44 px targets (WCAG 2.5.8 "equivalent" exception).
      if (el.closest("[data-testid=body-map] svg")) {
        continue;
      }
      // A link inside a sentence is exempt (WCAG 2.5.8 "inline").
      if (el.tagName === "A" && getComputedStyle(el).display === "inline" && el.parentElement && el.parentElement.textContent!.trim().length > el.textContent!.trim().length + 20) {
        continue;
      }
      if (r.width < 43.5 || r.height < 43.5) {
        const name = el.getAttribute("aria-label") ?? el.textContent?.trim().slice(0, 40) ?? "";
        out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""} "${name}" ${Math.round(r.width)}×${Math.round(r.height)}`);
      }
    }
    return out;
  });

const overflow = (page: Page): Promise<{ scrollWidth: number; innerWidth: number }> =>
  page.evaluate(() => ({ scrollWidth: document.scrollingElement!.scrollWidth, innerWidth: window.innerWidth }));

describe(`accessibility and layout (${process.env.TEST_DB ?? "sqlite"})`, () => {
  let database: TTestDatabase;
  let app: TAppProcess;
  let browser: Browser;
  let encounterId: string;
  let photo: Buffer;
  const report: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.$disconnect();
    app = await startApp({ dataDir: database.dataDir, databaseUrl: database.url, demoPassword: PASSWORD });
    registerOutpatient(app.mllpPort, { control: "A11Y-1", mrn: "AX1001", visit: "V-AX-1", name: "Access^Ada", birthDate: "19800214", sex: "F" });
    const auth = { authorization: `Bearer ${app.cli("token:create", "--user", "derm@example.org")}` };
    const [encounter] = (await (await fetch(`${app.baseUrl}/api/v1/encounters?q=access`, { headers: auth })).json()) as { id: string }[];
    encounterId = encounter!.id;
    // One earlier capture, so the history shows an item.
    photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 120, b: 90 } } }).jpeg().toBuffer();
    const procedures = (await (await fetch(`${app.baseUrl}/api/v1/procedures`, { headers: auth })).json()) as { id: string; code: string }[];
    const form = new FormData();
    form.set("encounterId", encounterId);
    form.set("procedureId", procedures.find((p) => p.code === "DERM-LESION")!.id);
    form.set("consent", "clinical");
    form.append("file", new Blob([new Uint8Array(photo)], { type: "image/jpeg" }), "earlier.jpg");
    expect((await fetch(`${app.baseUrl}/api/v1/captures`, { method: "POST", headers: auth, body: form })).status).toBe(201);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    console.log(`[a11y]\n${report.join("\n")}`);
    await browser?.close();
    await app?.stop();
    await database?.drop();
  }, 60_000);

  const signIn = (context: BrowserContext, email: string): Promise<Page> => newSignedInPage(context, app.baseUrl, email, PASSWORD);

  /** Axe, overflow and (clinician screens) target size on the page as it is; a screenshot; the problems found. */
  const check = async (page: Page, screen: string, viewport: string, opts: { targets?: boolean } = {}): Promise<string[]> => {
    await page.waitForLoadState("networkidle").catch(() => {});
    await page.screenshot({ path: path.join(SHOTS, `a11y-${screen}-${viewport}.png`), fullPage: true });
    const problems = (await axeProblems(page)).map((p) => `axe ${p}`);
    const o = await overflow(page);
    if (o.scrollWidth > o.innerWidth) {
      problems.push(`overflow: scrollWidth ${o.scrollWidth} > innerWidth ${o.innerWidth}`);
    }
    if (opts.targets) {
      problems.push(...(await smallTargets(page)).map((t) => `target < 44 px: ${t}`));
    }
    const tagged = problems.map((p) => `${screen} @ ${viewport}: ${p}`);
    report.push(...(tagged.length ? tagged : [`${screen} @ ${viewport}: ok`]));
    return tagged;
  };

  for (const { name: viewport, options } of VIEWPORTS) {
    it(`every main screen at ${viewport} (${options.viewport.width}×${options.viewport.height})`, async () => {
      const problems: string[] = [];

      const anonymous = await browser.newContext(options);
      const login = await anonymous.newPage();
      await login.goto(`${app.baseUrl}/login`);
      await login.getByLabel("E-mail").waitFor();
      problems.push(...(await check(login, "login", viewport, { targets: true })));
      await anonymous.close();

      const clinician = await browser.newContext(options);
      const page = await signIn(clinician, "derm@example.org");
      await page.getByLabel("Find a patient").waitFor();
      problems.push(...(await check(page, "worklist", viewport, { targets: true })));

      await page.goto(`${app.baseUrl}/encounters/${encounterId}`);
      await page.getByTestId("patient-banner").waitFor();
      await page.getByLabel(/Skin lesion photography/).check();
      await page.getByTestId("file-input").setInputFiles({ name: "lesion.jpg", mimeType: "image/jpeg", buffer: photo });
      const strip = page.getByTestId("review-strip");
      await strip.getByTestId("capture-item").first().waitFor();
      problems.push(...(await check(page, "capture", viewport, { targets: true })));
      await strip.getByRole("button", { name: /^Body site of lesion\.jpg/ }).click();
      const dialog = page.getByRole("dialog", { name: "Body site of lesion.jpg" });
      await dialog.waitFor();
      problems.push(...(await check(page, "body-map-dialog", viewport, { targets: true })));
      await dialog.getByRole("button", { name: "Done" }).click();
      await page.getByTestId("patient-history").scrollIntoViewIfNeeded();
      await page.getByTestId("history-study").first().waitFor();
      await page.getByTestId("patient-history").screenshot({ path: path.join(SHOTS, `a11y-history-section-${viewport}.png`) });
      problems.push(...(await check(page, "history", viewport, { targets: true })));
      await clinician.close();

      const admin = await browser.newContext(options);
      const adminPage = await signIn(admin, "admin@example.org");
      await adminPage.goto(`${app.baseUrl}/catalog`);
      await adminPage.getByTestId("catalog-row").first().waitFor();
      problems.push(...(await check(adminPage, "catalog", viewport)));
      const itemHref = await adminPage.getByTestId("catalog-row").first().getByRole("link").first().getAttribute("href");
      await adminPage.goto(new URL(itemHref!, app.baseUrl).toString());
      await adminPage.getByRole("form", { name: "Edit catalog item" }).waitFor();
      problems.push(...(await check(adminPage, "catalog-item", viewport)));
      for (const [screen, url] of [
        ["admin", "/admin"],
        ["users", "/admin/users"],
        ["audit", "/admin/audit"],
        ["routing", "/admin/routing"],
        ["destinations", "/admin/destinations"],
        ["hl7", "/admin/hl7"],
      ] as const) {
        const res = await adminPage.goto(`${app.baseUrl}${url}`);
        expect(res?.status(), url).toBe(200);
        await adminPage.getByRole("heading", { level: 1 }).first().waitFor();
        problems.push(...(await check(adminPage, screen, viewport)));
      }
      await admin.close();

      expect(problems).toEqual([]);
    }, 180_000);
  }

  it("capture screen: the keyboard reaches procedure, camera/file, body map, consent and Send in order, with visible focus", async () => {
    const context = await browser.newContext(VIEWPORTS[1].options);
    const page = await signIn(context, "derm@example.org");
    await page.goto(`${app.baseUrl}/encounters/${encounterId}`);
    await page.getByTestId("patient-banner").waitFor();
    await page.getByLabel(/Skin lesion photography/).check();
    await page.getByTestId("file-input").setInputFiles({ name: "lesion.jpg", mimeType: "image/jpeg", buffer: photo });
    await page.getByLabel(/Clinical care only/).check();
    // Start where a keyboard user starts: the top of the page (the first link of the main navigation).
    await page.getByRole("navigation", { name: "Main" }).getByRole("link").first().focus();

    const stops: { kind: string; label: string; visible: boolean }[] = [];
    for (let i = 0; i < 120; i++) {
      await page.keyboard.press("Tab");
      const stop = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) {
          return null;
        }
        const input = el as HTMLInputElement;
        const kind =
          input.name === "procedure" ? "procedure"
          : el.dataset.testid === "file-input" ? "file"
          : /camera/i.test(el.textContent ?? "") && el.tagName === "BUTTON" ? "camera"
          : el.closest("[data-testid=body-map]") && el.tagName !== "INPUT" ? "body-map"
          : input.name === "consent" ? "consent"
          : /^(Send|Nothing to send)/.test(el.textContent ?? "") && el.tagName === "BUTTON" ? "send"
          : "other";
        // A visually hidden input shows its focus on the label around it.
        const shown = el.classList.contains("sr-only") ? el.closest("label") ?? el : el;
        const s = getComputedStyle(shown);
        // A body-map region (an SVG group) shows its focus as a thicker outline stroke of its shape.
        const shape = el instanceof SVGElement ? el.querySelector("rect, ellipse, path") : null;
        const visible =
          (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) ||
          (s.boxShadow !== "none" && s.boxShadow !== "") ||
          (shape !== null && parseFloat(getComputedStyle(shape).strokeWidth) >= 3);
        return { kind, label: `${el.tagName.toLowerCase()} ${el.getAttribute("aria-label") ?? el.textContent?.trim().slice(0, 30) ?? ""}`, visible };
      });
      if (!stop) {
        continue;
      }
      stops.push(stop);
      if (stop.kind === "send") {
        break;
      }
    }
    const order = stops.map((s) => s.kind).filter((k, i, all) => k !== "other" && all.indexOf(k) === i);
    report.push(`keyboard order: ${order.join(" → ")} (${stops.length} tab stops)`);
    expect(order).toEqual(["procedure", "camera", "file", "body-map", "consent", "send"]);
    const invisible = stops.filter((s) => !s.visible).map((s) => s.label);
    expect(invisible, "tab stops without a visible focus indicator").toEqual([]);
    await context.close();
  }, 120_000);

  it("uploading a few-MB photo over a throttled network shifts no layout (CLS < 0.1)", async () => {
    const context = await browser.newContext(VIEWPORTS[1].options);
    const page = await signIn(context, "derm@example.org");
    await page.goto(`${app.baseUrl}/encounters/${encounterId}`);
    await page.getByTestId("patient-banner").waitFor();
    await page.getByLabel(/Skin lesion photography/).check();
    await page.getByLabel(/Clinical care only/).check();
    // Noise does not compress: a 2400×1800 photo of it is a few MB.
    const big = await sharp(Buffer.from(Array.from({ length: 2400 * 1800 * 3 }, () => Math.floor(Math.random() * 256))), { raw: { width: 2400, height: 1800, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
    expect(big.length).toBeGreaterThan(2_000_000);
    await page.evaluate(() => {
      const w = window as unknown as { __shifts: { value: number; start: number; recent: boolean }[] };
      w.__shifts = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as unknown as { value: number; startTime: number; hadRecentInput: boolean }[]) {
          w.__shifts.push({ value: e.value, start: e.startTime, recent: e.hadRecentInput });
        }
      }).observe({ type: "layout-shift", buffered: false });
    });
    await page.getByTestId("file-input").setInputFiles({ name: "big.jpg", mimeType: "image/jpeg", buffer: big });
    await page.getByTestId("review-strip").getByTestId("capture-item").first().waitFor();
    await page.waitForTimeout(500);
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    // ~1 MB/s up: the upload takes a few seconds.
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 100, downloadThroughput: 2_000_000, uploadThroughput: 1_000_000 });
    const startedAt = await page.evaluate(() => performance.now());
    const t0 = Date.now();
    await page.getByRole("button", { name: /Send 1 photo/ }).click();
    await page.getByTestId("item-state").filter({ hasText: /sending|uploading/ }).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(SHOTS, "a11y-uploading-landscape.png") });
    await page.getByTestId("sent-strip").waitFor({ timeout: 60_000 });
    const uploadMs = Date.now() - t0;
    await page.waitForTimeout(1000);
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const shifts = await page.evaluate(() => (window as unknown as { __shifts: { value: number; start: number; recent: boolean }[] }).__shifts);
    const during = shifts.filter((s) => s.start >= startedAt && !s.recent).reduce((sum, s) => sum + s.value, 0);
    const all = shifts.filter((s) => !s.recent).reduce((sum, s) => sum + s.value, 0);
    report.push(`upload of ${(big.length / 1e6).toFixed(1)} MB took ${uploadMs} ms; layout shift during upload ${during.toFixed(4)}, since adding the file ${all.toFixed(4)} (${shifts.length} entries)`);
    expect(uploadMs).toBeGreaterThan(1500);
    expect(during).toBeLessThan(0.1);
    await context.close();
  }, 120_000);
});
