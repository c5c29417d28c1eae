/**
 * What every browser test shares: Debian Chromium's flags, where screenshots go, sending an HL7 message the way a
 * hospital does (Debian python3-hl7's mllp_send), and signing in through the real login page.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";

/** Headless Debian Chromium without any network of its own (never `npx playwright install`). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Chromium's fake camera and microphone (a moving test pattern, or `--use-file-for-fake-video-capture=<file>`). */
export const FAKE_CAMERA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"];

/** Screenshots of the main screens, for reviewers. */
export const SCREENS_DIR = path.resolve("test-output/screens");

/**
 * Send one HL7 message with mllp_send and return what it printed (the ACK).
 * @param port - the app's MLLP port
 * @param message - segments separated by CR (or CRLF)
 */
export const mllpSend = (port: number, message: string): string => {
  const file = path.join(os.tmpdir(), `e2e-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.hl7`);
  fs.writeFileSync(file, message.replace(/\r?\n|\r/g, "\r\n"));
  try {
    return execFileSync("mllp_send", ["--loose", "-f", file, "-p", String(port), "127.0.0.1"], { encoding: "utf8" });
  } finally {
    fs.rmSync(file, { force: true });
  }
};

/**
 * Sign in on the login page and wait for the worklist.
 * @param page - a page of the user's browser context
 * @param baseUrl - the app's address
 * @param email - the user
 * @param password - their password
 */
export const signIn = async (page: Page, baseUrl: string, email: string, password: string): Promise<Page> => {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/worklist/);

  return page;
};

/**
 * A new page of `context`, signed in.
 * @param context - the user's browser context
 * @param baseUrl - the app's address
 * @param email - the user
 * @param password - their password
 */
export const newSignedInPage = async (context: BrowserContext, baseUrl: string, email: string, password: string): Promise<Page> =>
  signIn(await context.newPage(), baseUrl, email, password);

/** HL7 DTM of now, to the second. */
const hl7Now = (): string => new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);

/**
 * Register a dermatology outpatient at GENHOSP (ADT^A04 over mllp_send, as the hospital's ADT feed would) and
 * require the listener's AA.
 * @param port - the app's MLLP port
 * @param p - MSH-10, MRN (PID-3), visit number (PV1-19), XPN name, birth date (YYYYMMDD), sex, PV1-3 room^bed
 *   (default "101^A") and an optional PV1-7 attending doctor (XCN)
 */
export const registerOutpatient = (
  port: number,
  p: { control: string; mrn: string; visit: string; name: string; birthDate: string; sex: string; roomBed?: string; attending?: string },
): void => {
  const message = [
    `MSH|^~\\&|ADTSYS|GENHOSP|ECAPTURE|GENHOSP|${hl7Now()}||ADT^A04^ADT_A01|${p.control}|P|2.5.1||||||UNICODE UTF-8`,
    `EVN|A04|${hl7Now()}`,
    `PID|1||${p.mrn}^^^GENHOSP^MR||${p.name}||${p.birthDate}|${p.sex}`,
    `PV1|1|O|DERM^${p.roomBed ?? "101^A"}^GENHOSP||||${p.attending ?? ""}||||||||||||${p.visit}^^^GENHOSP^VN`,
  ].join("\r");
  const answer = mllpSend(port, message);
  if (!/MSA\|AA/.test(answer)) {
    throw new Error(`the A04 for ${p.control} was not accepted: ${answer.slice(0, 500)}`);
  }
};
