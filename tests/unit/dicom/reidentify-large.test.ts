import { createHash } from "node:crypto";
import { constants, createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSeriesUidMap, reidentifyDicom } from "@/lib/dicom/reidentify-dicom";
import { createUid } from "@/lib/dicom/uids";
import { runDciodvfy } from "@/tests/support/dicom-tools";
import { ADT_CONTEXT, makeUsCorpus } from "@/tests/support/us-corpus";

// A US Multi-frame file of ~106 MB: 220 frames of 800×600 MONOCHROME2, implicit VR little endian.
const [ROWS, COLUMNS, FRAMES] = [600, 800, 220];
const PIXEL_BYTES = ROWS * COLUMNS * FRAMES;

const dir = mkdtempSync(path.join(tmpdir(), "reidentify-large-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let source: string;

beforeAll(async () => {
  const corpus = await makeUsCorpus(dir, {
    implicitRows: ROWS,
    implicitColumns: COLUMNS,
    implicitFrames: FRAMES,
    implicitName: "large.dcm",
  });
  source = corpus.usMultiframeImplicit;
}, 300_000);

/** SHA-256 of the last `length` bytes of a file, streamed. */
const tailSha256 = async (file: string, length: number): Promise<string> => {
  const hash = createHash("sha256");
  const size = statSync(file).size;
  for await (const chunk of createReadStream(file, { start: size - length })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
};

/** The floor: read + write + fdatasync of the same bytes, 4 MiB at a time (what any durable copy must do). */
const plainCopy = async (from: string, to: string): Promise<void> => {
  const src = await open(from, "r");
  const dst = await open(to, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC);
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  let pos = 0;
  for (;;) {
    const { bytesRead } = await src.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) {
      break;
    }
    await dst.write(buf, 0, bytesRead);
    pos += bytesRead;
  }
  await dst.datasync();
  await Promise.all([src.close(), dst.close()]);
};

const timed = async (run: () => Promise<unknown>): Promise<{ ms: number; peakRssGrowthMiB: number }> => {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const start = performance.now();
  await run();
  const ms = performance.now() - start;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { ms, peakRssGrowthMiB: (peak - before) / 1024 / 1024 };
};

describe("reidentifyDicom on a ~106 MB US Multi-frame file", () => {
  test("copies Pixel Data verbatim, near a plain durable copy in time, without holding the file", async () => {
    const outPath = path.join(dir, "large-out.dcm");
    const uids = { studyInstanceUid: createUid(), seriesInstanceUidFor: createSeriesUidMap() };
    // Warm the page cache for both runs alike.
    await plainCopy(source, path.join(dir, "warm.dcm"));
    const copy = await timed(() => plainCopy(source, path.join(dir, "copy.dcm")));
    const reid = await timed(() => reidentifyDicom({ inputPath: source, outPath, context: ADT_CONTEXT, uids }));
    console.info(
      `large re-identify: ${(statSync(source).size / 1e6).toFixed(1)} MB; plain copy ${copy.ms.toFixed(0)} ms ` +
        `(+${copy.peakRssGrowthMiB.toFixed(1)} MiB RSS); reidentifyDicom ${reid.ms.toFixed(0)} ms ` +
        `(+${reid.peakRssGrowthMiB.toFixed(1)} MiB RSS)`,
    );
    // Pixel Data is the last element: its value and the 8-byte implicit VR header end both files.
    expect(await tailSha256(outPath, PIXEL_BYTES + 8)).toBe(await tailSha256(source, PIXEL_BYTES + 8));
    expect(runDciodvfy(outPath).split("\n").filter((l) => l.startsWith("Error"))).toEqual([]);
    // Loose bounds for a shared 2-core machine; the figures above are the measurement.
    expect(reid.ms).toBeLessThan(copy.ms * 4 + 2000);
    expect(reid.peakRssGrowthMiB).toBeLessThan(64);
  }, 300_000);
});
