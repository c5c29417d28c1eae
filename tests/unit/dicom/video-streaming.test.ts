import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { wrapVideo } from "@/lib/dicom/wrap-video";
import { writeEncapsulatedFile } from "@/lib/dicom/write-encapsulated";
import { readWithPydicom } from "@/tests/support/dicom-tools";
import { packetHash, runFfmpeg } from "@/tests/support/video-corpus";
import { pixelItemsOf } from "./dicom-expectations";
import { makeContext } from "./photo-fixtures";

const dir = mkdtempSync(path.join(tmpdir(), "video-streaming-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

const META = {
  FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
  MediaStorageSOPClassUID: "1.2.840.10008.5.1.4.1.1.77.1.4.1",
  MediaStorageSOPInstanceUID: "2.25.1",
  TransferSyntaxUID: "1.2.840.10008.1.2.4.102",
  ImplementationClassUID: "2.25.2",
};
const DATASET = { SOPClassUID: "1.2.840.10008.5.1.4.1.1.77.1.4.1", SOPInstanceUID: "2.25.1", Rows: 2, Columns: 2 };

describe("writeEncapsulatedFile with a file fragment", () => {
  test("streams an odd-length file into one even-length fragment after an empty BOT; hash covers every byte", async () => {
    const fragmentPath = path.join(dir, "odd.bin");
    const content = Buffer.alloc(3 * 1024 * 1024 + 1, 0xab); // > 3 read chunks, odd length
    content[0] = 0x01;
    writeFileSync(fragmentPath, content);
    const outPath = path.join(dir, "odd.dcm");
    const result = await writeEncapsulatedFile({
      outPath,
      meta: META,
      dataset: DATASET,
      fragment: { path: fragmentPath, length: content.length },
    });
    const file = readFileSync(outPath);
    expect(result).toEqual({ size: file.length, sha256: sha256(file), fragmentOffset: expect.any(Number) });
    expect(file.subarray(result.fragmentOffset, result.fragmentOffset + content.length).equals(content)).toBe(true);
    const { items, endsAtDelimiter } = pixelItemsOf(file);
    expect(endsAtDelimiter).toBe(true);
    expect(items.map((i) => i.length)).toEqual([0, content.length + 1]);
    expect(items[1]?.subarray(0, content.length).equals(content)).toBe(true);
    expect(items[1]?.at(-1)).toBe(0);
    expect(readWithPydicom(outPath).pixelItems.map((i) => i.length)).toEqual([0, content.length + 1]);
    expect(existsSync(`${outPath}.tmp`)).toBe(false);
  });

  test("a file shorter than announced → error, nothing left under outPath", async () => {
    const fragmentPath = path.join(dir, "short.bin");
    writeFileSync(fragmentPath, Buffer.alloc(1000));
    const outPath = path.join(dir, "short.dcm");
    await expect(
      writeEncapsulatedFile({ outPath, meta: META, dataset: DATASET, fragment: { path: fragmentPath, length: 1002 } }),
    ).rejects.toThrow(/1000 bytes, expected 1002/);
    expect(existsSync(outPath)).toBe(false);
    expect(existsSync(`${outPath}.tmp`)).toBe(false);
  });
});

describe("wrapVideo on a large (~80 MB) H.264 MP4: memory stays flat, time close to a file copy", () => {
  test("RSS growth < 64 MB; the bit stream is copied, not re-encoded", async () => {
    const input = path.join(dir, "large.mp4");
    // 720p noise at ~55 Mb/s (under High Profile 4.1's 62.5 Mb/s, so it is stream-copied): ~80 MB in ~12 s.
    runFfmpeg(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=11.5,noise=alls=25:allf=t"].concat(
      ["-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "high", "-level:v", "4.1", "-pix_fmt", "yuv420p"],
      ["-b:v", "55M", "-maxrate", "58M", "-bufsize", "60M", input],
    ));
    const inputBytes = statSync(input).size;
    expect(inputBytes).toBeGreaterThan(50 * 1024 * 1024);

    const copyStart = performance.now();
    copyFileSync(input, path.join(dir, "plain-copy.mp4"));
    const copyMs = performance.now() - copyStart;

    globalThis.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const context = makeContext({ modality: "XC" });
    context.instance.anatomicRegion = { code: "14975008", scheme: "SCT", meaning: "Forearm" };
    const outPath = path.join(dir, "large.dcm");
    const start = performance.now();
    const result = await wrapVideo({ inputPath: input, outPath, context }).finally(() => clearInterval(sampler));
    const wrapMs = performance.now() - start;
    peak = Math.max(peak, process.memoryUsage().rss);
    const growthMb = (peak - baseline) / 1024 ** 2;
    console.info(
      `large video: ${(inputBytes / 1024 ** 2).toFixed(1)} MB, wrap ${wrapMs.toFixed(0)} ms ` +
        `(plain copy ${copyMs.toFixed(0)} ms), RSS growth ${growthMb.toFixed(1)} MB`,
    );
    expect(result.reencoded).toBe(false);
    expect(result.size).toBeGreaterThan(inputBytes * 0.99);
    expect(growthMb).toBeLessThan(64);

    const extracted = path.join(dir, "large-extracted.mp4");
    const { items } = pixelItemsOf(readFileSync(outPath));
    writeFileSync(extracted, items[1] as Buffer);
    expect(packetHash(extracted, "v")).toBe(packetHash(input, "v"));
  }, 180_000);
});
