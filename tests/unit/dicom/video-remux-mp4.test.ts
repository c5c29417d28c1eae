import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { pixelItemsOf } from "./dicom-expectations";
import { makeContext } from "./photo-fixtures";
import { remuxMp4, type TMp4Remux } from "@/lib/dicom/remux-mp4";
import { VideoInputError } from "@/lib/dicom/video-errors";
import { wrapVideo } from "@/lib/dicom/wrap-video";
import { runExiftool } from "@/tests/support/dicom-tools";
import { decodeErrors, FAKE_METADATA, ffprobeJson, packetHash, runFfmpeg } from "@/tests/support/video-corpus";

const dir = mkdtempSync(path.join(tmpdir(), "video-remux-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const phoneMetadata = [
  ...["-metadata", `location=${FAKE_METADATA.location}`, "-metadata", `make=${FAKE_METADATA.make}`],
  ...["-metadata", `model=${FAKE_METADATA.model}`, "-metadata", `serial_number=${FAKE_METADATA.serial}`],
  ...["-metadata", `comment=${FAKE_METADATA.comment}`, "-metadata", "creation_time=2024-05-06T07:08:09Z"],
  ...["-metadata:s:v", `handler_name=${FAKE_METADATA.model}`, "-movflags", "+use_metadata_tags"],
];
const clip = (name: string, extra: string[]): string => {
  const out = path.join(dir, name);
  runFfmpeg([
    ...["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1.2", "-f", "lavfi", "-i", "sine=sample_rate=48000:duration=1.2"],
    ...["-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "high", "-pix_fmt", "yuv420p"],
    ...["-c:a", "aac", "-ac", "2", ...phoneMetadata, ...extra, out],
  ]);
  return out;
};

/** The planned MP4 as bytes (buffers as they are, file ranges read). */
const materialize = (plan: TMp4Remux): Buffer =>
  Buffer.concat(
    plan.parts.map((p) => {
      if (Buffer.isBuffer(p)) {
        return p;
      }
      const b = Buffer.alloc(p.length);
      const fd = openSync(p.path, "r");
      readSync(fd, b, 0, p.length, p.start);
      closeSync(fd);
      return b;
    }),
  );

const topLevel = (mp4: Buffer): string[] => {
  const types: string[] = [];
  for (let at = 0; at + 8 <= mp4.length; at += mp4.readUInt32BE(at)) {
    types.push(mp4.toString("latin1", at + 4, at + 8));
  }
  return types;
};

const expectRemux = async (file: string, audio = true): Promise<TMp4Remux> => {
  const plan = await remuxMp4(file, { videoEntry: "avc1", audio });
  if ("refused" in plan) {
    throw new Error(`refused: ${plan.refused}`);
  }
  return plan;
};

describe.each([
  ["moov last (as phones write it)", "moov-last.mp4", [] as string[]],
  ["moov first (+faststart)", "moov-first.mp4", ["-movflags", "+faststart+use_metadata_tags"]],
])("remuxMp4, %s", (_label, name, extra) => {
  let source: string;
  let out: string;
  let plan: TMp4Remux;
  beforeAll(async () => {
    source = clip(name, extra);
    plan = await expectRemux(source);
    out = path.join(dir, `${name}.remuxed.mp4`);
    writeFileSync(out, materialize(plan));
  });

  test("ftyp, moov, mdat; the announced length; the media data is streamed from the source, not held", () => {
    const bytes = readFileSync(out);
    expect(bytes.length).toBe(plan.length);
    expect(topLevel(bytes)).toEqual(["ftyp", "moov", "mdat"]);
    const ranges = plan.parts.filter((p) => !Buffer.isBuffer(p));
    expect(ranges).toHaveLength(1);
    expect(plan.parts.filter(Buffer.isBuffer).reduce((n, b) => n + b.length, 0)).toBeLessThan(64 * 1024);
    expect(plan.videoSamples).toBe(30);
  });

  test("video and audio packets byte-identical, timing kept, decodes cleanly", () => {
    expect(packetHash(out, "v")).toBe(packetHash(source, "v"));
    expect(packetHash(out, "a")).toBe(packetHash(source, "a"));
    const [a, b] = [ffprobeJson(source), ffprobeJson(out)];
    expect(b.streams.map((s) => [s.codec_name, s.nb_frames])).toEqual(a.streams.map((s) => [s.codec_name, s.nb_frames]));
    expect(decodeErrors(out)).toBe("");
  });

  test("no location, make, model, serial, comment, creation time or handler name survives", () => {
    expect(runExiftool(source)).toMatch(/GPS|Location/);
    const bytes = readFileSync(out).toString("latin1");
    for (const value of Object.values(FAKE_METADATA)) {
      expect(bytes.includes(value), value).toBe(false);
    }
    const probe = ffprobeJson(out);
    expect(probe.format.tags ?? {}).not.toHaveProperty("creation_time");
    expect(probe.streams.map((s) => s.tags?.handler_name)).toEqual(["VideoHandler", "SoundHandler"]);
    expect(runExiftool(out)).not.toMatch(/GPS|Location|Serial|AcmePhone|Create Date\s*:\s*2024/i);
  });
});

describe("remuxMp4 refuses what it does not fully understand (wrapVideo then uses ffmpeg)", () => {
  test("an extra track (a subtitle / timed-text track could carry anything) → refused; ffmpeg drops it", async () => {
    const srt = path.join(dir, "notes.srt");
    writeFileSync(srt, "1\n00:00:00,000 --> 00:00:01,000\nSECRET-SUBTITLE-TEXT\n");
    const file = path.join(dir, "with-subtitles.mp4");
    runFfmpeg([
      ...["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1.2", "-i", srt],
      ...["-map", "0:v", "-map", "1:s", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:s", "mov_text", file],
    ]);
    expect(readFileSync(file).includes("SECRET-SUBTITLE-TEXT")).toBe(true);
    expect(await remuxMp4(file, { videoEntry: "avc1", audio: false })).toMatchObject({ refused: expect.stringMatching(/track/) });
    const context = makeContext({ modality: "XC" });
    context.instance.anatomicRegion = { code: "14975008", scheme: "SCT", meaning: "Forearm" };
    const outPath = path.join(dir, "with-subtitles.dcm");
    const result = await wrapVideo({ inputPath: file, outPath, context });
    expect(result.remuxedBy).toBe("ffmpeg");
    expect(readFileSync(outPath).includes("SECRET-SUBTITLE-TEXT")).toBe(false);
    const mp4 = pixelItemsOf(readFileSync(outPath)).items[1] as Buffer;
    expect(topLevel(mp4).slice(0, 2)).toEqual(["ftyp", "moov"]);
    await result.poster;
  });

  test("media data bytes that belong to no sample → refused (nothing unreferenced travels along)", async () => {
    const file = clip("gap.mp4", []);
    const bytes = readFileSync(file);
    // Shrink the first video sample by 2 bytes in stsz: its chunk now ends 2 bytes before the next one starts.
    const stsz = bytes.indexOf("stsz");
    expect(bytes.readUInt32BE(stsz + 8)).toBe(0); // per-sample sizes follow
    bytes.writeUInt32BE(bytes.readUInt32BE(stsz + 16) - 2, stsz + 16);
    const gap = path.join(dir, "gap-edited.mp4");
    writeFileSync(gap, bytes);
    expect(await remuxMp4(gap, { videoEntry: "avc1", audio: true })).toEqual({ refused: "mdat holds bytes outside the kept samples" });
  });

  test("expectations not met → refused: audio expected but absent, or another sample entry", async () => {
    const file = clip("plain.mp4", []);
    expect(await remuxMp4(file, { videoEntry: "avc1", audio: false })).toMatchObject({ refused: expect.any(String) });
    expect(await remuxMp4(file, { videoEntry: "hvc1", audio: true })).toMatchObject({ refused: expect.any(String) });
  });

  test("QuickTime (brand qt) → refused", async () => {
    const mov = path.join(dir, "clip.mov");
    runFfmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1", "-c:v", "libx264", "-preset", "ultrafast", mov]);
    expect(await remuxMp4(mov, { videoEntry: "avc1", audio: false })).toMatchObject({ refused: expect.stringMatching(/brand/) });
  });

  test("media data cut off (fast-start file truncated) → VideoInputError corrupt, not a refusal", async () => {
    const file = clip("cut.mp4", ["-movflags", "+faststart"]);
    const bytes = readFileSync(file);
    const cut = path.join(dir, "cut-short.mp4");
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    const err = await remuxMp4(cut, { videoEntry: "avc1", audio: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VideoInputError);
    expect(err).toMatchObject({ code: "corrupt" });
  });
});
