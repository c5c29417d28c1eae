/**
 * Decides how an uploaded video becomes the MP4 that is encapsulated, and runs ffmpeg once to make it.
 *
 * Design (details and references in lib/dicom/README.md, "Video"):
 * - PS3.5 §8.2.7–8.2.11: the Pixel Data fragment holds the whole bit stream in an MPEG-2 TS or MP4 (ISO/IEC
 *   14496-12/14) container, so the output is always MP4, one video and at most one audio track; WebM/Matroska and
 *   MOV are rewritten as MP4. ffmpeg writes `moov` last; remuxMp4 (remux-mp4.ts) moves it first while the MP4 is
 *   streamed into the DICOM file, which saves ffmpeg's `+faststart` pass (a second full copy of the file).
 * - Video is stream-copied (not re-encoded) when the codec, profile, level, chroma format and rotation already
 *   conform: H.264 decodable by a High Profile decoder at the level its transfer syntax names, measured from the
 *   real size and frame rate; HEVC Main (8-bit) within Level 5.1. Anything else (VP8, VP9, AV1, a display
 *   rotation — DICOM has no rotation attribute, so pixels must be upright —, non-square pixels, 4:2:2, too big or
 *   too fast for the level) is transcoded once with libx264, CRF 18, preset medium, High Profile, Level 4.1
 *   (4.2 above 1080p30-class rates), downscaled/frame-rate-capped only as far as the level demands.
 * - Audio (§8.2.12): AAC-LC at 48 kHz, stereo or 5.1, ≤ 640 kb/s is copied; any other audio (Opus, Vorbis, mono,
 *   44.1 kHz, …) is re-encoded to AAC-LC 48 kHz stereo 160 kb/s; `audio: "drop"` removes it.
 * - Privacy: only the chosen video/audio streams are mapped (no data, subtitle, timed-metadata or cover tracks);
 *   global, per-stream and chapter metadata are not copied (`-map_metadata -1`, …), the muxer writes no encoder
 *   tag or creation time (`+bitexact`). GPS/location, make, model, serial and comments therefore do not survive.
 */
import { FFMPEG, runMediaTool, type TVideoProbe, type TVideoStreamProbe } from "@/lib/dicom/probe-video";
import {
  HEVC_MP51_TRANSFER_SYNTAX,
  MPEG4_HP41_TRANSFER_SYNTAX,
  MPEG4_HP42_2D_TRANSFER_SYNTAX,
} from "@/lib/dicom/uids";
import { VideoInputError, VideoToolError } from "@/lib/dicom/video-errors";

/**
 * H.264 Table A-1 limits for the two levels our transfer syntaxes name: MaxFS (macroblocks), MaxMBPS, and MaxBR for
 * High Profile (1.25 × the Table A-1 value, Table A-2), in bit/s.
 */
const AVC_LEVELS = {
  "4.1": { idc: 41, maxFs: 8192, maxMbps: 245_760, maxBr: 62_500_000, ts: MPEG4_HP41_TRANSFER_SYNTAX },
  "4.2": { idc: 42, maxFs: 8704, maxMbps: 522_240, maxBr: 62_500_000, ts: MPEG4_HP42_2D_TRANSFER_SYNTAX },
} as const;
/** HEVC Table A.8 (A.11 in later editions), Level 5.1 Main tier: MaxLumaPs, MaxLumaSr, MaxBR (Main profile). */
const HEVC_L51 = { idc: 153, maxLumaPs: 8_912_896, maxLumaSr: 534_773_760, maxBr: 40_000_000 };
/** Profiles an H.264 High Profile decoder must decode (H.264 A.2.4): Constrained Baseline, Main, High. */
const AVC_COPY_PROFILES = new Set(["Constrained Baseline", "Main", "High"]);
const PIX_FMT_420_8BIT = new Set(["yuv420p", "yuvj420p"]);

/** libx264 settings for the single re-encode (README "Video" explains the choice). */
export const X264_SETTINGS = { preset: "medium", crf: 18, maxrate: "50M", bufsize: "62500k" } as const;
/** AAC settings when audio must be re-encoded (§8.2.12 allows AAC up to 48 kHz, 2 or 5.1 channels, 640 kb/s). */
export const AAC_SETTINGS = { bitrate: "160k", sampleRate: 48_000, channels: 2 } as const;

type TAvcLevel = keyof typeof AVC_LEVELS;

const mbs = (w: number, h: number): { w: number; h: number; frame: number } => {
  const mw = Math.ceil(w / 16);
  const mh = Math.ceil(h / 16);
  return { w: mw, h: mh, frame: mw * mh };
};

/**
 * True when the stream's measured size, mean frame rate and mean bit rate fit the H.264 level (frame size, each
 * dimension ≤ √(8·MaxFS), macroblock rate, bit rate; a mean under MaxBR does not prove the peak, the declared
 * level_idc covers that).
 */
const fitsAvcLevel = (level: TAvcLevel, v: TVideoStreamProbe): boolean => {
  const { maxFs, maxMbps, maxBr } = AVC_LEVELS[level];
  const m = mbs(v.width, v.height);
  const maxSide = Math.sqrt(8 * maxFs);
  const fps = v.frameRate;
  return (
    fps !== null &&
    m.frame <= maxFs &&
    m.w <= maxSide &&
    m.h <= maxSide &&
    m.frame * fps <= maxMbps &&
    (v.bitRate ?? 0) <= maxBr
  );
};

/**
 * The transfer syntax a video stream can be encapsulated with as it is (no re-encoding), or null when it must be
 * transcoded. Decided from the stream's real size and mean frame rate, not from the file name (PS3.5 §8.2.7–8.2.11).
 * @param v - the probed video stream
 * @returns a transfer syntax UID or null
 */
export const chooseTransferSyntax = (v: TVideoStreamProbe): string | null => {
  if (v.rotation !== 0 || v.sampleAspectRatio !== "1:1" || v.level === null) {
    return null;
  }
  if (v.codec === "h264" && AVC_COPY_PROFILES.has(v.profile) && PIX_FMT_420_8BIT.has(v.pixFmt)) {
    for (const level of ["4.1", "4.2"] as const) {
      if (v.level <= AVC_LEVELS[level].idc && fitsAvcLevel(level, v)) {
        return AVC_LEVELS[level].ts;
      }
    }
    return null;
  }
  if (v.codec === "hevc" && v.level <= HEVC_L51.idc && v.frameRate !== null) {
    const ps = v.width * v.height;
    const maxSide = Math.sqrt(8 * HEVC_L51.maxLumaPs);
    const tooFast = ps * v.frameRate > HEVC_L51.maxLumaSr || (v.bitRate ?? 0) > HEVC_L51.maxBr;
    if (ps > HEVC_L51.maxLumaPs || v.width > maxSide || v.height > maxSide || tooFast) {
      return null;
    }
    // Main only: Main 10 (HEVC_M10P51, iPhone HDR) would need Bits Stored 10, but the VL and US image modules
    // fix Bits Allocated/Stored at 8, so a 10-bit stream is transcoded to 8-bit H.264 instead.
    if (v.profile === "Main" && PIX_FMT_420_8BIT.has(v.pixFmt)) {
      return HEVC_MP51_TRANSFER_SYNTAX;
    }
  }
  return null;
};

/** libx264 speed preset and constant rate factor of a transcode (defaults in {@link X264_SETTINGS}). */
export type TX264Options = { preset?: string; crf?: number };

/** What will be done to the picture. */
export type TVideoPlan =
  | { mode: "copy"; transferSyntaxUid: string }
  | { mode: "transcode"; width: number; height: number; fps: number | null; level: TAvcLevel } & TX264Options;
/** What will be done to the sound. */
export type TAudioPlan = "copy" | "transcode" | "none" | "drop";

const even = (n: number): number => Math.max(2, 2 * Math.round(n / 2));

/** Upright, square-pixel output size and frame rate that fit H.264 High Profile Level 4.1, else 4.2. */
const planTranscode = (v: TVideoStreamProbe): Extract<TVideoPlan, { mode: "transcode" }> => {
  const [sw, sh] = v.sampleAspectRatio.split(":").map(Number);
  const codedWidth = sw && sh ? v.width * (sw / sh) : v.width;
  const swap = v.rotation === 90 || v.rotation === 270;
  let [w, h] = swap ? [v.height, codedWidth] : [codedWidth, v.height];
  [w, h] = [even(w), even(h)];
  const aspect = w / h;
  const fitsFrame = (): boolean => mbs(w, h).frame <= AVC_LEVELS["4.1"].maxFs && Math.max(w, h) <= 4096;
  if (!fitsFrame()) {
    // First guess from the pixel budget (MaxFS × 256 pixels), then step down 2 pixels at a time: macroblock
    // rounding can leave the guess a few macroblocks over, and each step strictly shrinks, so this ends.
    w = even(Math.min(w * Math.sqrt((AVC_LEVELS["4.1"].maxFs * 256) / (w * h)), 4096, 4096 * aspect));
    h = even(w / aspect);
    while (!fitsFrame()) {
      w -= 2;
      h = even(w / aspect);
    }
  }
  const frame = mbs(w, h).frame;
  const maxFps = Math.min(60, Math.floor(AVC_LEVELS["4.2"].maxMbps / frame));
  const rate = v.frameRate ?? 30;
  const fps = rate > maxFps ? maxFps : null;
  const level: TAvcLevel = frame * (fps ?? rate) <= AVC_LEVELS["4.1"].maxMbps ? "4.1" : "4.2";
  return { mode: "transcode", width: w, height: h, fps, level };
};

/**
 * Plans the conversion: stream copy when the video conforms, else one libx264 transcode; audio copy/transcode/drop.
 * @param probe - what probeVideo found
 * @param options.audio - `keep` (default) or `drop`
 * @param options.x264 - preset/CRF for a transcode (e.g. `veryfast` for long clips on a busy machine)
 */
export const planVideo = (
  probe: TVideoProbe,
  options: { audio?: "keep" | "drop"; x264?: TX264Options } = {},
): { video: TVideoPlan; audio: TAudioPlan } => {
  const ts = chooseTransferSyntax(probe.video);
  const video: TVideoPlan = ts
    ? { mode: "copy", transferSyntaxUid: ts }
    : { ...planTranscode(probe.video), ...options.x264 };
  const a = probe.audio;
  let audio: TAudioPlan;
  if (!a) {
    audio = "none";
  } else if (options.audio === "drop") {
    audio = "drop";
  } else {
    const conforming =
      a.codec === "aac" &&
      a.profile === "LC" &&
      a.sampleRate === 48_000 &&
      (a.channels === 2 || a.channels === 6) &&
      (a.bitRate ?? 0) <= 640_000;
    audio = conforming ? "copy" : "transcode";
  }
  return { video, audio };
};

const videoArgs = (plan: TVideoPlan, v: TVideoStreamProbe): string[] => {
  if (plan.mode === "copy") {
    // hvc1 (parameter sets in the sample entry) is the HEVC sample entry MP4 readers such as dcm4che's and
    // Apple's expect; avc1 for H.264.
    return ["-c:v", "copy", "-tag:v", v.codec === "hevc" ? "hvc1" : "avc1"];
  }
  // ffmpeg's autorotate turns the picture upright before these filters and drops the display matrix.
  const filters = [`scale=${plan.width}:${plan.height}:flags=lanczos`, "setsar=1"];
  if (plan.fps !== null) {
    filters.push(`fps=${plan.fps}`);
  }
  return [
    ...["-vf", filters.join(","), "-c:v", "libx264"],
    ...["-preset", plan.preset ?? X264_SETTINGS.preset, "-crf", String(plan.crf ?? X264_SETTINGS.crf)],
    ...["-profile:v", "high", "-level:v", plan.level, "-pix_fmt", "yuv420p"],
    ...["-maxrate", X264_SETTINGS.maxrate, "-bufsize", X264_SETTINGS.bufsize, "-tag:v", "avc1"],
    // Keep the source's timestamps (variable frame rate stays variable) unless the rate had to be capped.
    ...["-fps_mode", plan.fps === null ? "passthrough" : "cfr"],
  ];
};

const audioArgs = (plan: TAudioPlan, probe: TVideoProbe): string[] => {
  if (plan === "none" || plan === "drop" || !probe.audio) {
    return ["-an"];
  }
  const map = ["-map", `0:${probe.audio.index}`];
  if (plan === "copy") {
    return [...map, "-c:a", "copy"];
  }
  const { bitrate, sampleRate, channels } = AAC_SETTINGS;
  return [...map, "-c:a", "aac", "-b:a", bitrate, "-ar", String(sampleRate), "-ac", String(channels)];
};

/** ffmpeg messages (at `-v error`) that mean the input itself is damaged, not that we misused ffmpeg. */
const DAMAGE = new RegExp(
  [
    "invalid data|partial file|corrupt|truncat|end of file|error while decoding|moov atom",
    "invalid nal|concealing|missing picture|decode_slice|non-existing pps|no frame",
  ].join("|"),
  "i",
);

/**
 * Writes the MP4 to encapsulate (video copied or transcoded, audio per plan, no metadata).
 * @param args.inputPath - the uploaded file
 * @param args.outputPath - where the MP4 goes (same file system as the final .dcm, not /tmp, which may be RAM)
 * @param args.probe - probeVideo's result for the input
 * @param args.plan - planVideo's result
 * @param args.maxDurationMs - hard stop: ffmpeg writes at most this much (+1 s) even if the probe was wrong
 * @param args.faststart - let ffmpeg move `moov` first (a second pass over the whole file); default false
 * @throws VideoInputError `corrupt` when ffmpeg reports damaged input; VideoToolError otherwise
 */
export const prepareVideo = async (args: {
  inputPath: string;
  outputPath: string;
  probe: TVideoProbe;
  plan: { video: TVideoPlan; audio: TAudioPlan };
  maxDurationMs: number;
  faststart?: boolean;
}): Promise<void> => {
  const { probe, plan } = args;
  const ffArgs = [
    ...["-hide_banner", "-nostdin", "-v", "error", "-i", args.inputPath, "-map", `0:${probe.video.index}`],
    ...videoArgs(plan.video, probe.video),
    ...audioArgs(plan.audio, probe),
    ...["-map_metadata", "-1", "-map_metadata:s:v", "-1", "-map_metadata:s:a", "-1", "-map_chapters", "-1"],
    ...["-dn", "-sn", "-t", ((args.maxDurationMs + 1000) / 1000).toFixed(3)],
    ...["-fflags", "+bitexact", ...(args.faststart ? ["-movflags", "+faststart"] : [])],
    ...["-y", "-f", "mp4", args.outputPath],
  ];
  const result = await runMediaTool(FFMPEG, ffArgs, { maxStdout: 0 });
  if (DAMAGE.test(result.stderr)) {
    throw new VideoInputError("corrupt", "the video is damaged or truncated: ffmpeg could not read all of it");
  }
  if (result.code !== 0) {
    throw new VideoToolError("failed", `ffmpeg exited with ${result.code}: ${result.stderr.slice(0, 500)}`);
  }
};
