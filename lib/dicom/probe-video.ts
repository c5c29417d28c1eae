/**
 * Reads what a video file contains with Debian's ffprobe (container, the first video and audio streams, geometry
 * after the display rotation, frame rate, duration) without decoding pictures. Also hosts the one place where
 * ffmpeg/ffprobe are spawned: argument arrays, never a shell, stderr kept short and free of file names we did not
 * choose.
 */
import { spawn } from "node:child_process";
import { open } from "node:fs/promises";
import { VideoInputError, VideoToolError } from "@/lib/dicom/video-errors";

/** Debian's ffmpeg 5.1 (package `ffmpeg`, installed by scripts/system-packages.mjs). */
export const FFMPEG = "/usr/bin/ffmpeg";
/** Debian's ffprobe, same package. */
export const FFPROBE = "/usr/bin/ffprobe";

/** The first video stream, as coded and as displayed. */
export type TVideoStreamProbe = {
  index: number;
  /** ffprobe codec name: `h264`, `hevc`, `vp8`, `vp9`, `av1`, … */
  codec: string;
  /** ffprobe profile name, e.g. `High`, `Constrained Baseline`, `Main 10`; "" when unknown. */
  profile: string;
  /** level_idc as ffprobe reports it (H.264: 41 = 4.1; HEVC: 30 × level, 153 = 5.1); null when unknown. */
  level: number | null;
  pixFmt: string;
  /** Coded picture size. */
  width: number;
  height: number;
  /**
   * Rotation a player applies for display (0, 90, 180, 270) from the display matrix, in ffprobe's sign convention.
   * Only "is there one" and "does it swap width and height" matter here: ffmpeg's autorotate applies it.
   */
  rotation: 0 | 90 | 180 | 270;
  /** Sample aspect ratio as "w:h"; "1:1" also when the stream does not say. */
  sampleAspectRatio: string;
  /** Mean frames per second (frames ÷ duration when the container gives no average); null when unknown. */
  frameRate: number | null;
  /** Number of frames (container sample count, else counted packets); null when unknown. */
  frames: number | null;
  /** Sample entry / codec tag, e.g. `avc1`, `hvc1`, `hev1`. */
  codecTag: string;
  /** Mean bits per second of the video stream (else of the whole file); null when unknown. */
  bitRate: number | null;
};

/** The first audio stream. */
export type TAudioStreamProbe = {
  index: number;
  codec: string;
  profile: string;
  sampleRate: number;
  channels: number;
  /** bits per second; null when unknown. */
  bitRate: number | null;
};

/** What probeVideo found in a file. */
export type TVideoProbe = {
  /** Container family we accept: ISO BMFF (MP4, MOV) or Matroska (WebM). */
  container: "mp4" | "matroska";
  /** Duration in ms (container, else the last video packet's end); null when nothing says. */
  durationMs: number | null;
  video: TVideoStreamProbe;
  audio: TAudioStreamProbe | null;
};

/** Exit code and (truncated) output of one ffmpeg/ffprobe run. */
type TRunResult = { code: number | null; stdout: string; stderr: string };

/**
 * Runs ffmpeg or ffprobe with an argument array (no shell). stdout is collected up to `maxStdout` bytes (the rest is
 * drained), stderr up to 8 KiB; `onLine` receives stdout line by line and may return true to stop the process early.
 * @throws VideoToolError `missing` when the binary is not installed
 */
export const runMediaTool = (
  command: string,
  args: string[],
  options: { maxStdout?: number; onLine?: (line: string) => boolean | void } = {},
): Promise<TRunResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const maxStdout = options.maxStdout ?? 4 * 1024 * 1024;
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      if (stdout.length < maxStdout) {
        stdout += chunk;
      }
      if (options.onLine) {
        const lines = (partial + chunk).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) {
          if (options.onLine(line) === true) {
            child.kill("SIGKILL");
            break;
          }
        }
      }
    });
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < 8192) {
        stderr += chunk;
      }
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "ENOENT"
          ? new VideoToolError("missing", `${command} is not installed: apt-get install -y ffmpeg`, { cause: err })
          : err,
      );
    });
    child.on("close", (code) => resolve({ code, stdout, stderr: stderr.trim() }));
  });

type TFfprobeStream = {
  index: number;
  codec_type?: string;
  codec_name?: string;
  codec_tag_string?: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  pix_fmt?: string;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  sample_rate?: string;
  channels?: number;
  bit_rate?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
};
type TFfprobeOutput = {
  streams?: TFfprobeStream[];
  format?: { format_name?: string; duration?: string; size?: string };
};

const ratio = (text: string | undefined): number | null => {
  const [n, d] = (text ?? "").split("/").map(Number);
  return n && d ? n / d : null;
};
const num = (text: string | undefined): number | null => {
  const n = Number(text);
  return text !== undefined && text !== "" && Number.isFinite(n) ? n : null;
};

/** Display rotation from the display matrix (or the legacy `rotate` tag), normalized to 0/90/180/270. */
const rotationOf = (s: TFfprobeStream): 0 | 90 | 180 | 270 => {
  const matrix = s.side_data_list?.find((d) => d.side_data_type === "Display Matrix")?.rotation;
  const degrees = matrix ?? Number(s.tags?.rotate ?? 0);
  const normal = (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
  return normal as 0 | 90 | 180 | 270;
};

/** ISO BMFF (`ftyp` at offset 4) or EBML (Matroska/WebM) magic: the file claims to be a container we know. */
const looksLikeVideoContainer = async (inputPath: string): Promise<boolean> => {
  const fh = await open(inputPath, "r");
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await fh.read(head, 0, 12, 0);
    const b = head.subarray(0, bytesRead);
    return b.subarray(4, 8).toString("latin1") === "ftyp" || b.readUInt32BE(0) === 0x1a45dfa3;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
};

/** Reads the video packets' timestamps (no decoding) when the container has no duration or frame count. */
const scanVideoPackets = async (
  inputPath: string,
  stopAfterMs: number,
): Promise<{ durationMs: number; frames: number }> => {
  let end = 0;
  let frames = 0;
  const args = ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time"];
  await runMediaTool(FFPROBE, [...args, "-of", "csv=p=0", inputPath], {
    maxStdout: 0,
    onLine: (line) => {
      const [pts, duration] = line.split(",").map(Number);
      if (pts !== undefined && Number.isFinite(pts)) {
        frames += 1;
        end = Math.max(end, (pts + (Number.isFinite(duration) ? (duration ?? 0) : 0)) * 1000);
      }
      return end > stopAfterMs;
    },
  });
  return { durationMs: Math.round(end), frames };
};

/**
 * Probes a video file.
 * @param inputPath - the uploaded file
 * @param options.maxDurationMs - a packet scan (needed for WebM from MediaRecorder, which has no duration) stops
 *   once it passes this, so a too-long file is not read to the end
 * @returns container, first video stream (with display rotation) and first audio stream
 * @throws VideoInputError `corrupt`, `not-video` or `unsupported-type`; VideoToolError when ffprobe is missing
 */
export const probeVideo = async (inputPath: string, options: { maxDurationMs: number }): Promise<TVideoProbe> => {
  const args = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", inputPath];
  const result = await runMediaTool(FFPROBE, args);
  if (result.code !== 0) {
    const known = await looksLikeVideoContainer(inputPath);
    throw new VideoInputError(
      known ? "corrupt" : "not-video",
      known ? "the video file is damaged or truncated and cannot be read" : "the file is not a video",
    );
  }
  const out = JSON.parse(result.stdout) as TFfprobeOutput;
  const formatName = out.format?.format_name ?? "";
  const streams = out.streams ?? [];
  const v = streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
  const a = streams.find((s) => s.codec_type === "audio");
  const isImage = /(^|,)(image2|[a-z0-9]+_pipe|gif|apng|webp)(,|$)/.test(formatName);
  if (!v || isImage || !v.width || !v.height) {
    throw new VideoInputError("not-video", "the file contains no video stream");
  }
  const container = /mp4|mov/.test(formatName) ? "mp4" : /matroska|webm/.test(formatName) ? "matroska" : null;
  if (!container) {
    throw new VideoInputError("unsupported-type", "unsupported video container: use MP4, MOV or WebM");
  }
  let durationMs = num(out.format?.duration) ?? num(v.duration);
  let frames = num(v.nb_frames);
  if (durationMs !== null) {
    durationMs = Math.round(durationMs * 1000);
  }
  if (durationMs === null || frames === null) {
    const scanned = await scanVideoPackets(inputPath, options.maxDurationMs);
    durationMs ??= scanned.durationMs;
    frames ??= scanned.frames;
  }
  const avg = ratio(v.avg_frame_rate);
  const frameRate = avg ?? (frames && durationMs ? (frames * 1000) / durationMs : null);
  const sar = v.sample_aspect_ratio && v.sample_aspect_ratio !== "0:1" ? v.sample_aspect_ratio : "1:1";
  return {
    container,
    durationMs,
    video: {
      index: v.index,
      codec: v.codec_name ?? "",
      profile: v.profile ?? "",
      level: v.level !== undefined && v.level > 0 ? v.level : null,
      pixFmt: v.pix_fmt ?? "",
      width: v.width,
      height: v.height,
      rotation: rotationOf(v),
      sampleAspectRatio: sar,
      frameRate,
      frames,
      codecTag: v.codec_tag_string ?? "",
      bitRate: num(v.bit_rate) ?? (durationMs ? ((num(out.format?.size) ?? 0) * 8000) / durationMs : null),
    },
    audio: a
      ? {
          index: a.index,
          codec: a.codec_name ?? "",
          profile: a.profile ?? "",
          sampleRate: num(a.sample_rate) ?? 0,
          channels: a.channels ?? 0,
          bitRate: num(a.bit_rate),
        }
      : null,
  };
};
