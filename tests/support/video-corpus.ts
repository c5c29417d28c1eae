/**
 * Synthetic test videos, generated with Debian's ffmpeg into a temp dir on first use (≤ 2 s each, small sizes where
 * the size does not matter). Each clip stands for something phones and browsers really produce. Also the readers
 * the tests use on wrapped videos (ffprobe JSON, packet hashes proving a stream copy, decoding, a raw RGB frame).
 * A missing ffmpeg fails the test with the package to install; nothing is skipped.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const FFMPEG = "/usr/bin/ffmpeg";

/** Fake identifying metadata written into the phone-like clips; none of it may survive wrapping. */
export const FAKE_METADATA = {
  location: "+48.8584+002.2945/",
  make: "AcmePhone",
  model: "Model-X-PRIVATE",
  serial: "SERIAL-987654321",
  comment: "patient-name-in-comment",
} as const;

/** Runs ffmpeg with an argument array; throws naming the Debian package when it is missing. */
export const runFfmpeg = (args: string[]): string => {
  const r = spawnSync(FFMPEG, ["-hide_banner", "-nostdin", "-v", "error", "-y", ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error(`${FFMPEG} is not installed: apt-get install -y --no-install-recommends ffmpeg`);
  }
  if (r.status !== 0) {
    throw new Error(`ffmpeg ${args.join(" ")} failed:\n${r.stderr}`);
  }
  return r.stdout;
};

const src = (size: string, rate: number, seconds: number, extra = ""): string[] => [
  "-f",
  "lavfi",
  "-i",
  `testsrc2=size=${size}:rate=${rate}:duration=${seconds}${extra}`,
];
const tone = (seconds: number, rate = 48_000): string[] => [
  "-f",
  "lavfi",
  "-i",
  `sine=frequency=440:sample_rate=${rate}:duration=${seconds}`,
];
const metadataArgs = (): string[] => [
  ...["-metadata", `location=${FAKE_METADATA.location}`, "-metadata", `make=${FAKE_METADATA.make}`],
  ...["-metadata", `model=${FAKE_METADATA.model}`, "-metadata", `serial_number=${FAKE_METADATA.serial}`],
  ...["-metadata", `com.apple.quicktime.location.ISO6709=${FAKE_METADATA.location}`],
  ...["-metadata", `comment=${FAKE_METADATA.comment}`, "-metadata", "creation_time=2024-05-06T07:08:09Z"],
];
const x264 = (profile: string, level: string, preset = "veryfast"): string[] => [
  ...["-c:v", "libx264", "-preset", preset, "-profile:v", profile, "-level:v", level, "-pix_fmt", "yuv420p"],
];

/**
 * Rewrites the Matroska EBML DocType "matroska" to "webm" in place (+ a 4-byte EBML Void so sizes stay the same):
 * ffmpeg's webm muxer refuses H.264, but Chrome's MediaRecorder writes exactly that (`video/webm;codecs=h264`).
 */
const patchDocTypeToWebm = (file: string): void => {
  const b = readFileSync(file);
  const at = b.indexOf(Buffer.from([0x42, 0x82, 0x88, ...Buffer.from("matroska")]));
  if (at < 0 || at > 64) {
    throw new Error("DocType not found in the EBML header");
  }
  Buffer.from([0x42, 0x82, 0x84, ...Buffer.from("webm"), 0xec, 0x82, 0x00, 0x00]).copy(b, at);
  writeFileSync(file, b);
};

/** What a clip is and what wrapping it must give. */
export type TCorpusClip = {
  name: string;
  file: string;
  /** Displayed (upright) size after wrapping. */
  columns: number;
  rows: number;
  /** Expected transfer syntax. */
  transferSyntaxUid: string;
  /** The video bit stream must be copied unchanged. */
  remux: boolean;
  audio: "copied" | "transcoded" | "none";
  /** The source carries the fake GPS/make/model/serial metadata. */
  hasFakeMetadata: boolean;
  /** Where the red marker of the upright picture is (portrait clip only). */
  markerTopLeft?: boolean;
  make: (out: string) => void;
};

const H264_41 = "1.2.840.10008.1.2.4.102";
const H264_42 = "1.2.840.10008.1.2.4.104";
const HEVC_MAIN = "1.2.840.10008.1.2.4.107";

/** The clips of the issue: browser WebM, phone MP4/MOV (H.264, HEVC), portrait with rotation, 1080p60, VFR. */
export const CORPUS: TCorpusClip[] = [
  {
    name: "vp8-opus.webm (Chrome MediaRecorder, no duration)",
    file: "vp8-opus.webm",
    ...{ columns: 320, rows: 240, transferSyntaxUid: H264_41, remux: false, audio: "transcoded", hasFakeMetadata: false },
    make: (out) =>
      runFfmpeg([...src("320x240", 30, 1.5), ...tone(1.5), "-c:v", "libvpx", "-b:v", "500k", "-c:a", "libopus"].concat(
        ["-live", "1", "-f", "webm", out],
      )),
  },
  {
    name: "vp9-opus.webm",
    file: "vp9-opus.webm",
    ...{ columns: 320, rows: 240, transferSyntaxUid: H264_41, remux: false, audio: "transcoded", hasFakeMetadata: false },
    make: (out) =>
      runFfmpeg([...src("320x240", 30, 1.5), ...tone(1.5), "-c:v", "libvpx-vp9", "-b:v", "300k", "-deadline", "realtime"].concat(
        ["-cpu-used", "8", "-c:a", "libopus", "-f", "webm", out],
      )),
  },
  {
    name: "h264-opus.webm (Chrome codecs=h264,opus: Constrained Baseline, no duration)",
    file: "h264-opus.webm",
    ...{ columns: 320, rows: 240, transferSyntaxUid: H264_41, remux: true, audio: "transcoded", hasFakeMetadata: false },
    make: (out) => {
      // Live mode: no duration, no cues, unknown-size clusters, as MediaRecorder streams it.
      runFfmpeg([...src("320x240", 30, 1.5), ...tone(1.5), ...x264("baseline", "3.1"), "-c:a", "libopus"].concat(
        ["-live", "1", "-f", "matroska", out],
      ));
      patchDocTypeToWebm(out);
    },
  },
  {
    name: "h264-aac.mp4 with GPS, make/model/serial, comment",
    file: "h264-aac-gps.mp4",
    ...{ columns: 320, rows: 240, transferSyntaxUid: H264_41, remux: true, audio: "copied", hasFakeMetadata: true },
    make: (out) =>
      runFfmpeg([...src("320x240", 30, 1.5), ...tone(1.5), ...x264("high", "4.0"), "-c:a", "aac", "-b:a", "128k"].concat(
        ["-ac", "2", ...metadataArgs(), "-movflags", "+use_metadata_tags", out],
      )),
  },
  {
    name: "hevc.mp4 (HEVC Main, hvc1) + AAC",
    file: "hevc.mp4",
    ...{ columns: 320, rows: 240, transferSyntaxUid: HEVC_MAIN, remux: true, audio: "copied", hasFakeMetadata: true },
    make: (out) =>
      runFfmpeg([...src("320x240", 30, 1.5), ...tone(1.5), "-c:v", "libx265", "-preset", "ultrafast", "-x265-params"].concat(
        ["log-level=error", "-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-c:a", "aac", "-ac", "2", ...metadataArgs(), out],
      )),
  },
  {
    name: "hevc.mov (QuickTime, hev1, location atom), no audio",
    file: "hevc.mov",
    ...{ columns: 320, rows: 240, transferSyntaxUid: HEVC_MAIN, remux: true, audio: "none", hasFakeMetadata: true },
    make: (out) =>
      runFfmpeg([...src("320x240", 25, 1.5), "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"].concat(
        ["-pix_fmt", "yuv420p", ...metadataArgs(), "-f", "mov", out],
      )),
  },
  {
    name: "portrait 1080x1920 phone clip (coded 1920x1080 + rotation 90)",
    file: "portrait.mp4",
    ...{ columns: 1080, rows: 1920, transferSyntaxUid: H264_41, remux: false, audio: "copied", hasFakeMetadata: true },
    markerTopLeft: true,
    make: (out) => {
      const coded = `${out}.coded.mp4`;
      // The upright picture has a red square top left; it is stored turned clockwise, with a display matrix that
      // tells players to turn it back (what phones do).
      runFfmpeg(["-f", "lavfi", "-i", "color=c=gray:size=1080x1920:rate=30:duration=1", ...tone(1)].concat(
        ["-vf", "drawbox=x=0:y=0:w=240:h=240:color=red:t=fill,transpose=1", ...x264("high", "4.1", "ultrafast")],
        ["-c:a", "aac", "-ac", "2", ...metadataArgs(), coded],
      ));
      runFfmpeg(["-i", coded, "-c", "copy", "-metadata:s:v:0", "rotate=90", "-movflags", "+use_metadata_tags", out]);
    },
  },
  {
    name: "1080p60 H.264 High@4.2",
    file: "1080p60.mp4",
    ...{ columns: 1920, rows: 1080, transferSyntaxUid: H264_42, remux: true, audio: "none", hasFakeMetadata: false },
    make: (out) => runFfmpeg([...src("1920x1080", 60, 1), ...x264("high", "4.2", "ultrafast"), "-an", out]),
  },
  {
    name: "variable frame rate H.264 (30 fps, then 10 fps)",
    file: "vfr.mp4",
    ...{ columns: 320, rows: 240, transferSyntaxUid: H264_41, remux: true, audio: "none", hasFakeMetadata: false },
    make: (out) =>
      runFfmpeg([...src("320x240", 30, 1.5), "-vf", "select='if(lt(n\\,20)\\,1\\,not(mod(n\\,3)))'", "-fps_mode", "vfr"].concat(
        [...x264("high", "3.0"), out],
      )),
  },
];

/** Generates (once per directory) and returns the path of a corpus clip. */
export const corpusFile = (dir: string, clip: TCorpusClip): string => {
  const out = path.join(dir, clip.file);
  if (!existsSync(out)) {
    clip.make(out);
  }
  return out;
};

/** A plain H.264/AAC MP4 of `seconds` (for limit tests). */
export const makeClip = (out: string, seconds: number, size = "160x120"): string => {
  runFfmpeg([...src(size, 25, seconds), ...tone(seconds), ...x264("high", "3.0", "ultrafast"), "-c:a", "aac", out]);
  return out;
};

// Readers for wrapped videos.

const runTool = (command: string, args: string[]): { stdout: Buffer; stderr: string; status: number | null } => {
  const r = spawnSync(command, args, { maxBuffer: 256 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error(`${command} is not installed: apt-get install -y --no-install-recommends ffmpeg`);
  }
  return { stdout: r.stdout, stderr: r.stderr.toString("utf8"), status: r.status };
};

export type TProbedStream = {
  codec_type: string;
  codec_name: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  nb_frames?: string;
  codec_tag_string?: string;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
  tags?: Record<string, string>;
};

/** ffprobe -show_streams -show_format as JSON. */
export const ffprobeJson = (
  file: string,
): { streams: TProbedStream[]; format: { format_name: string; tags?: Record<string, string> } } => {
  const r = runTool("/usr/bin/ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", file]);
  if (r.status !== 0) {
    throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout.toString("utf8"));
};

/** SHA-256 over every packet of the first stream of `kind` ("v" or "a"), read without decoding (stream copy). */
export const packetHash = (file: string, kind: "v" | "a"): string => {
  const args = ["-v", "error", "-i", file, "-map", `0:${kind}:0`, "-c", "copy", "-f", "hash", "-hash", "sha256", "-"];
  const r = runTool("/usr/bin/ffmpeg", args);
  if (r.status !== 0) {
    throw new Error(`ffmpeg hash failed: ${r.stderr}`);
  }
  return r.stdout.toString("utf8").trim();
};

/** Decodes every frame (video and audio) and returns ffmpeg's error output ("" when the stream is clean). */
export const decodeErrors = (file: string): string => {
  const r = runTool("/usr/bin/ffmpeg", ["-v", "error", "-xerror", "-i", file, "-f", "null", "-"]);
  return r.status === 0 ? r.stderr.trim() : `exit ${r.status}: ${r.stderr}`;
};

/** The first decoded frame as packed RGB24 (ffmpeg applies the display rotation, as players do). */
export const firstFrameRgb = (file: string): Buffer => {
  const r = runTool("/usr/bin/ffmpeg", ["-v", "error", "-i", file, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]);
  if (r.status !== 0) {
    throw new Error(`ffmpeg decode failed: ${r.stderr}`);
  }
  return r.stdout;
};

/** Presentation timestamps (s) of the first video stream's packets, in decode order. */
export const videoPacketTimes = (file: string): number[] => {
  const args = ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0", file];
  const r = runTool("/usr/bin/ffprobe", args);
  return r.stdout
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map(Number);
};
