/**
 * Readers for wrapped videos in tests: ffprobe of a file, packet hashes of one stream (proves a stream copy), a raw
 * RGB frame for orientation checks. Missing ffmpeg fails with the Debian package to install.
 */
import { spawnSync } from "node:child_process";

const run = (command: string, args: string[]): { stdout: Buffer; stderr: string; status: number | null } => {
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
  const r = run("/usr/bin/ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", file]);
  if (r.status !== 0) {
    throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout.toString("utf8"));
};

/** SHA-256 over every packet of the first stream of `kind` ("v" or "a"), read without decoding (stream copy). */
export const packetHash = (file: string, kind: "v" | "a"): string => {
  const args = ["-v", "error", "-i", file, "-map", `0:${kind}:0`, "-c", "copy", "-f", "hash", "-hash", "sha256", "-"];
  const r = run("/usr/bin/ffmpeg", args);
  if (r.status !== 0) {
    throw new Error(`ffmpeg hash failed: ${r.stderr}`);
  }
  return r.stdout.toString("utf8").trim();
};

/** Decodes every frame (video and audio) and returns ffmpeg's error output ("" when the stream is clean). */
export const decodeErrors = (file: string): string => {
  const r = run("/usr/bin/ffmpeg", ["-v", "error", "-xerror", "-i", file, "-f", "null", "-"]);
  return r.status === 0 ? r.stderr.trim() : `exit ${r.status}: ${r.stderr}`;
};

/** The first decoded frame as packed RGB24 (ffmpeg applies the display rotation, as players do). */
export const firstFrameRgb = (file: string): Buffer => {
  const r = run("/usr/bin/ffmpeg", ["-v", "error", "-i", file, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]);
  if (r.status !== 0) {
    throw new Error(`ffmpeg decode failed: ${r.stderr}`);
  }
  return r.stdout;
};
