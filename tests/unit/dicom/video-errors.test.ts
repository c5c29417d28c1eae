import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, test } from "vitest";
import type { TPhotoContext } from "@/lib/dicom/photo-context";
import { runMediaTool } from "@/lib/dicom/probe-video";
import { VideoContextError, VideoInputError, VideoToolError } from "@/lib/dicom/video-errors";
import { wrapVideo } from "@/lib/dicom/wrap-video";
import { makeClip, runFfmpeg } from "@/tests/support/video-corpus";
import { makeContext } from "./photo-fixtures";

const dir = mkdtempSync(path.join(tmpdir(), "video-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const context = (): TPhotoContext => {
  const ctx = makeContext({ modality: "XC" });
  ctx.instance.anatomicRegion = { code: "14975008", scheme: "SCT", meaning: "Forearm" };
  return ctx;
};

/** Wraps `inputPath` expecting a failure; checks that no output, temp or work file is left behind. */
const wrapFails = async (name: string, inputPath: string, limits?: { maxDurationMs?: number; maxBytes?: number }) => {
  const outPath = path.join(dir, `${name}.dcm`);
  const error = await wrapVideo({ inputPath, outPath, context: context(), limits }).then(
    () => null,
    (err: unknown) => err,
  );
  const leftovers = readdirSync(dir).filter((f) => f.startsWith(`${name}.dcm`));
  expect(leftovers).toEqual([]);
  return error;
};

describe("wrapVideo refuses unusable uploads with typed errors", () => {
  test("longer than the maximum duration (MP4 with a duration in its header) → too-long", async () => {
    const clip = makeClip(path.join(dir, "three-seconds.mp4"), 3);
    const err = await wrapFails("too-long", clip, { maxDurationMs: 2000 });
    expect(err).toBeInstanceOf(VideoInputError);
    expect(err).toMatchObject({ code: "too-long", message: "the video is longer than the 2 s limit" });
  });

  test("too long, WebM without a duration (as MediaRecorder writes it) → too-long, found by a packet scan", async () => {
    const webm = path.join(dir, "live.webm");
    runFfmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=3", "-c:v", "libvpx", "-live", "1"].concat(
      ["-f", "webm", webm],
    ));
    const err = await wrapFails("too-long-webm", webm, { maxDurationMs: 2000 });
    expect(err).toMatchObject({ name: "VideoInputError", code: "too-long" });
  });

  test("a short clip passes the same limit (the limit is not simply refusing everything)", async () => {
    const clip = makeClip(path.join(dir, "one-second.mp4"), 1);
    const outPath = path.join(dir, "short.dcm");
    const result = await wrapVideo({ inputPath: clip, outPath, context: context(), limits: { maxDurationMs: 2000 } });
    expect(result.durationMs).toBeLessThanOrEqual(2000);
  });

  test("bigger than the maximum file size → too-large, before anything is decoded", async () => {
    const clip = makeClip(path.join(dir, "small.mp4"), 1);
    const err = await wrapFails("too-large", clip, { maxBytes: statSync(clip).size - 1 });
    expect(err).toMatchObject({ name: "VideoInputError", code: "too-large" });
  });

  test("truncated MP4 (moov at the end is cut off) → corrupt", async () => {
    const clip = makeClip(path.join(dir, "whole.mp4"), 1);
    const cut = path.join(dir, "cut-tail.mp4");
    const bytes = readFileSync(clip);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const err = await wrapFails("truncated", cut);
    expect(err).toMatchObject({ name: "VideoInputError", code: "corrupt" });
  });

  test("truncated fast-start MP4 (index intact, media data cut) → corrupt", async () => {
    const faststart = path.join(dir, "faststart.mp4");
    runFfmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2", "-c:v", "libx264", "-preset"].concat(
      ["ultrafast", "-movflags", "+faststart", faststart],
    ));
    const cut = path.join(dir, "cut-mdat.mp4");
    const bytes = readFileSync(faststart);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.5)));
    const err = await wrapFails("truncated-mdat", cut);
    expect(err).toMatchObject({ name: "VideoInputError", code: "corrupt" });
  });

  test("a text file → not-video", async () => {
    const text = path.join(dir, "notes.mp4");
    writeFileSync(text, "this is not a video\n".repeat(100));
    const err = await wrapFails("text", text);
    expect(err).toMatchObject({ name: "VideoInputError", code: "not-video" });
  });

  test("a JPEG photo → not-video", async () => {
    const jpeg = path.join(dir, "photo.jpg");
    writeFileSync(jpeg, await sharp({ create: { width: 64, height: 48, channels: 3, background: "#808080" } }).jpeg().toBuffer());
    const err = await wrapFails("jpeg", jpeg);
    expect(err).toMatchObject({ name: "VideoInputError", code: "not-video" });
  });

  test("audio only (M4A) → not-video", async () => {
    const m4a = path.join(dir, "voice.m4a");
    runFfmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", m4a]);
    const err = await wrapFails("audio-only", m4a);
    expect(err).toMatchObject({ name: "VideoInputError", code: "not-video" });
  });

  test("an AVI (a container we do not take) → unsupported-type", async () => {
    const avi = path.join(dir, "old.avi");
    runFfmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1", "-c:v", "mjpeg", avi]);
    const err = await wrapFails("avi", avi);
    expect(err).toMatchObject({ name: "VideoInputError", code: "unsupported-type" });
  });

  test("no anatomic region in the context → VideoContextError before any work", async () => {
    const clip = makeClip(path.join(dir, "anatomy.mp4"), 1);
    const ctx = context();
    delete ctx.instance.anatomicRegion;
    const outPath = path.join(dir, "no-anatomy.dcm");
    const err = await wrapVideo({ inputPath: clip, outPath, context: ctx }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VideoContextError);
    expect((err as Error).message).toMatch(/Anatomic Region Sequence/);
    expect(existsSync(outPath)).toBe(false);
  });

  test("messages name the problem, never the file or patient", async () => {
    const text = path.join(dir, "Müller-Jörg-MRN-000123.mp4");
    copyFileSync(path.join(dir, "notes.mp4"), text);
    const err = (await wrapFails("phi-name", text)) as Error;
    expect(err.message).not.toMatch(/Müller|MRN|000123|notes/);
  });

  test("ffmpeg/ffprobe not installed → VideoToolError `missing` naming the Debian package", async () => {
    const err = await runMediaTool("/nonexistent/ffprobe", ["-version"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VideoToolError);
    expect(err).toMatchObject({ code: "missing", message: "/nonexistent/ffprobe is not installed: apt-get install -y ffmpeg" });
  });
});
