/**
 * Archive acceptance: every corpus input, wrapped, is stored by a real Orthanc over STOW-RS (as the forwarder sends
 * it) and Orthanc's own decoder renders it upright and faithful (its /preview PNG ≈ the upright truth). Covers both
 * transfer syntaxes we emit: JPEG Baseline (YBR_FULL_422, MONOCHROME2) and Explicit VR Little Endian (RGB, MONOCHROME2).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { wrapPhoto } from "@/lib/dicom/wrap-photo";
import { startOrthanc, type TOrthanc } from "@/tests/support/orthanc";
import { buildPhotoCorpus, meanAbsDiff } from "@/tests/support/photo-corpus";
import { makeContext } from "./photo-fixtures";

const dir = mkdtempSync(path.join(tmpdir(), "photo-orthanc-"));
const corpus = await buildPhotoCorpus(dir);
let orthanc: TOrthanc;

beforeAll(async () => {
  orthanc = await startOrthanc();
});
afterAll(async () => {
  await orthanc?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** STOW-RS (PS3.18 §10.5) of one Part 10 file; returns the HTTP status and the DICOM JSON response. */
const stow = async (file: Buffer): Promise<{ status: number; body: Record<string, { Value?: unknown[] }> }> => {
  const boundary = `photo-${randomUUID()}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await fetch(`${orthanc.stowUrl}/studies`, {
    method: "POST",
    headers: {
      "Content-Type": `multipart/related; type="application/dicom"; boundary=${boundary}`,
      Accept: "application/dicom+json",
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, { Value?: unknown[] }> };
};

/** min..max → 0..255, as Orthanc's preview does for MONOCHROME2 without Window Center/Width. */
const stretch = (grey: Buffer): Buffer => {
  const [min, max] = [Math.min(...grey), Math.max(...grey)];
  return Buffer.from(grey.map((v) => Math.round(((v - min) * 255) / (max - min))));
};

describe.each(corpus)("Orthanc stores and renders: $name", (entry) => {
  test("STOW-RS accepts it; Orthanc's rendering is upright and faithful", async () => {
    const context = makeContext({ modality: "XC" });
    const outPath = path.join(dir, `${entry.name.replace(/\W+/g, "-")}.dcm`);
    await wrapPhoto({ input: entry.file, outPath, context, declaredType: entry.declaredType });
    const { status, body } = await stow(readFileSync(outPath));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["00081198"]?.Value ?? [], "Failed SOP Sequence").toEqual([]);
    const referenced = JSON.stringify(body["00081199"]);
    expect(referenced).toContain(context.instance.sopInstanceUid);

    const found = (await (
      await fetch(`${orthanc.baseUrl}/tools/find`, {
        method: "POST",
        body: JSON.stringify({ Level: "Instance", Query: { SOPInstanceUID: context.instance.sopInstanceUid } }),
      })
    ).json()) as string[];
    expect(found).toHaveLength(1);
    const preview = Buffer.from(await (await fetch(`${orthanc.baseUrl}/instances/${found[0]}/preview`)).arrayBuffer());
    const grey = entry.expected.photometric === "MONOCHROME2";
    const decoded = sharp(preview);
    const { data, info } = await (grey ? decoded.extractChannel(0) : decoded.removeAlpha())
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([64, 48]);
    // Orthanc renders without colour management, so the stored values are compared (P3 values stay P3 values);
    // greyscale without a VOI window is stretched to the full range by Orthanc, so the truth is stretched too.
    const diff = meanAbsDiff(data, grey ? stretch(entry.expected.truth) : entry.expected.truth);
    expect(diff, `mean absolute difference ${diff.toFixed(2)}`).toBeLessThanOrEqual(entry.expected.maxMeanDiff + 1);
  });
});
