import { describe, expect, test } from "vitest";
import { chooseTransferSyntax, planVideo } from "@/lib/dicom/prepare-video";
import type { TAudioStreamProbe, TVideoProbe, TVideoStreamProbe } from "@/lib/dicom/probe-video";

const H264_41 = "1.2.840.10008.1.2.4.102";
const H264_42 = "1.2.840.10008.1.2.4.104";
const HEVC_MAIN = "1.2.840.10008.1.2.4.107";

/** A phone's 1080p30 H.264 High@4.0 stream at 17 Mb/s; each case changes what it is about. */
const stream = (over: Partial<TVideoStreamProbe> = {}): TVideoStreamProbe => ({
  index: 0,
  codec: "h264",
  profile: "High",
  level: 40,
  pixFmt: "yuv420p",
  width: 1920,
  height: 1080,
  rotation: 0,
  sampleAspectRatio: "1:1",
  frameRate: 30,
  frames: 300,
  codecTag: "avc1",
  bitRate: 17_000_000,
  ...over,
});
const probe = (video: Partial<TVideoStreamProbe>, audio: TAudioStreamProbe | null = null): TVideoProbe => ({
  container: "mp4",
  durationMs: 10_000,
  video: stream(video),
  audio,
});

describe("chooseTransferSyntax: from the real size, rate and profile, not the file name", () => {
  test.each([
    ["1080p30 High@4.0", {}, H264_41],
    ["1080p29.97 High@4.1", { level: 41, frameRate: 29.97 }, H264_41],
    ["1080p60 High@4.2", { level: 42, frameRate: 60 }, H264_42],
    ["1080p60 declared 4.1 (mislabelled): measured rate needs 4.2", { level: 41, frameRate: 60 }, H264_42],
    ["720p60 High@3.2", { width: 1280, height: 720, level: 32, frameRate: 60 }, H264_41],
    ["Chrome Constrained Baseline 640x480", { profile: "Constrained Baseline", width: 640, height: 480, level: 31 }, H264_41],
    ["Main@4.0", { profile: "Main" }, H264_41],
    ["full-range 4:2:0 (yuvj420p)", { pixFmt: "yuvj420p" }, H264_41],
    ["HEVC Main 4K60 L5.1", { codec: "hevc", profile: "Main", level: 153, width: 3840, height: 2160, frameRate: 60, bitRate: 38e6 }, HEVC_MAIN],
  ])("%s → %s", (_name, over, ts) => {
    expect(chooseTransferSyntax(stream(over))).toBe(ts);
  });

  test.each([
    ["display rotation (pixels must be upright)", { rotation: 90 as const }],
    ["non-square pixels", { sampleAspectRatio: "4:3" }],
    ["Baseline with FMO/ASO possible (not Constrained)", { profile: "Baseline" }],
    ["High 10", { profile: "High 10", pixFmt: "yuv420p10le" }],
    ["High 4:2:2", { profile: "High 4:2:2", pixFmt: "yuv422p" }],
    ["declared Level 5.1", { level: 51 }],
    ["4K H.264", { width: 3840, height: 2160, level: 51 }],
    ["1080p120 (too fast for 4.2)", { level: 42, frameRate: 120 }],
    ["80 Mb/s mean bit rate (above High MaxBR 62.5 Mb/s)", { level: 42, bitRate: 80e6 }],
    ["HEVC Main 10 (VL/US modules fix 8 bits)", { codec: "hevc", profile: "Main 10", level: 153, pixFmt: "yuv420p10le" }],
    ["HEVC Level 6.1", { codec: "hevc", profile: "Main", level: 183 }],
    ["VP9", { codec: "vp9", profile: "Profile 0", level: null }],
    ["VP8", { codec: "vp8", profile: "", level: null }],
    ["unknown frame rate", { frameRate: null }],
  ])("%s → transcode", (_name, over) => {
    expect(chooseTransferSyntax(stream(over))).toBeNull();
  });
});

describe("planVideo: transcode target fits High Profile 4.1 (4.2 only when the rate needs it)", () => {
  test("portrait 4K HEVC from an iPhone (coded 3840x2160, rotation 90) → upright 1080-class portrait H.264 @4.1", () => {
    const plan = planVideo(probe({ codec: "hevc", profile: "Main 10", level: 153, width: 3840, height: 2160, rotation: 90 }));
    expect(plan.video).toMatchObject({ mode: "transcode", level: "4.1", fps: null });
    const v = plan.video as { width: number; height: number };
    expect(v.width).toBeLessThan(v.height);
    expect(Math.ceil(v.width / 16) * Math.ceil(v.height / 16)).toBeLessThanOrEqual(8192);
    expect(v.width / v.height).toBeCloseTo(2160 / 3840, 2);
    expect(v.width % 2 + (v.height % 2)).toBe(0);
  });

  test("portrait 1080x1920 at 30 fps keeps its size and fits 4.1", () => {
    expect(planVideo(probe({ rotation: 90 })).video).toEqual({
      mode: "transcode",
      width: 1080,
      height: 1920,
      fps: null,
      level: "4.1",
    });
  });

  test("1080p240 slow motion → capped at 60 fps, Level 4.2", () => {
    expect(planVideo(probe({ codec: "hevc", profile: "Main", level: 153, frameRate: 240, rotation: 180 })).video).toEqual({
      mode: "transcode",
      width: 1920,
      height: 1080,
      fps: 60,
      level: "4.2",
    });
  });

  test("the caller may choose a faster libx264 preset / other CRF; a stream copy ignores them", () => {
    const x264 = { preset: "veryfast", crf: 20 };
    expect(planVideo(probe({ codec: "vp9", profile: "Profile 0", level: null }), { x264 }).video).toMatchObject({
      mode: "transcode",
      preset: "veryfast",
      crf: 20,
    });
    expect(planVideo(probe({}), { x264 }).video).toEqual({ mode: "copy", transferSyntaxUid: H264_41 });
  });

  test("anamorphic SAR 4:3 720x576 → square pixels 960x576", () => {
    expect(planVideo(probe({ width: 720, height: 576, sampleAspectRatio: "4:3", level: 30 })).video).toMatchObject({
      width: 960,
      height: 576,
    });
  });
});

describe("planVideo: audio policy (PS3.5 §8.2.12)", () => {
  const aac = { index: 1, codec: "aac", profile: "LC", sampleRate: 48_000, channels: 2, bitRate: 128_000 };
  test.each([
    ["AAC-LC 48 kHz stereo", aac, "copy"],
    ["AAC-LC 48 kHz 5.1", { ...aac, channels: 6, bitRate: 384_000 }, "copy"],
    ["AAC-LC 44.1 kHz (iPhone)", { ...aac, sampleRate: 44_100 }, "transcode"],
    ["AAC mono", { ...aac, channels: 1 }, "transcode"],
    ["HE-AAC", { ...aac, profile: "HE-AAC" }, "transcode"],
    ["Opus (browser)", { ...aac, codec: "opus", profile: "" }, "transcode"],
    ["Vorbis", { ...aac, codec: "vorbis", profile: "" }, "transcode"],
    ["AAC above 640 kb/s", { ...aac, bitRate: 700_000 }, "transcode"],
  ])("%s → %s", (_name, audio, expected) => {
    expect(planVideo(probe({}, audio)).audio).toBe(expected);
  });

  test("no audio track → none; drop requested → drop", () => {
    expect(planVideo(probe({})).audio).toBe("none");
    expect(planVideo(probe({}, aac), { audio: "drop" }).audio).toBe("drop");
  });
});
