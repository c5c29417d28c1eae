/**
 * Makes the poster frame the UI shows for a video: one JPEG, `width` pixels wide, from an upright, metadata-free MP4
 * — usually the one inside the finished DICOM file, read in place through ffmpeg's `subfile` protocol, so the poster
 * can be made after the object is written (off the capture's critical path). ffmpeg's mjpeg encoder writes JFIF only;
 * `+bitexact` also drops its "Lavc" comment, so the thumbnail carries no EXIF, GPS or encoder text. Written to
 * `outPath.tmp` and renamed, so a reader never sees half a JPEG.
 */
import { rename, unlink } from "node:fs/promises";
import { FFMPEG, runMediaTool } from "@/lib/dicom/probe-video";
import { VideoToolError } from "@/lib/dicom/video-errors";

/** Default poster width in pixels; the height keeps the aspect ratio (rounded to even). */
export const DEFAULT_POSTER_WIDTH = 320;

/**
 * @param args.videoPath - a file holding the MP4 (upright pixels): the MP4 itself, or a file it is embedded in
 * @param args.range - where the MP4 lies inside `videoPath` (e.g. the Pixel Data fragment of a .dcm); whole file if
 *   absent
 * @param args.outPath - where the JPEG goes
 * @param args.durationMs - video duration; the frame is taken at a third of it, at most 1 s in (past fade-ins)
 * @param args.width - JPEG width, default {@link DEFAULT_POSTER_WIDTH}
 * @throws VideoToolError when ffmpeg fails or writes nothing
 */
export const makePosterFrame = async (args: {
  videoPath: string;
  range?: { start: number; length: number };
  outPath: string;
  durationMs: number;
  width?: number;
}): Promise<void> => {
  const at = Math.min(1, args.durationMs / 3000).toFixed(3);
  const width = args.width ?? DEFAULT_POSTER_WIDTH;
  const { range } = args;
  const input = range
    ? `subfile,,start,${range.start},end,${range.start + range.length},,:${args.videoPath}`
    : args.videoPath;
  const tmpPath = `${args.outPath}.tmp`;
  const result = await runMediaTool(
    FFMPEG,
    [
      ...["-hide_banner", "-nostdin", "-v", "error", "-ss", at, "-i", input],
      ...["-map", "0:v:0", "-frames:v", "1"],
      ...["-vf", `scale=${width}:-2:flags=bicubic`, "-pix_fmt", "yuvj420p", "-q:v", "3"],
      ...["-map_metadata", "-1", "-fflags", "+bitexact", "-flags", "+bitexact", "-update", "1"],
      ...["-y", "-f", "image2", "-c:v", "mjpeg", tmpPath],
    ],
    { maxStdout: 0 },
  );
  if (result.code !== 0) {
    await unlink(tmpPath).catch(() => undefined);
    throw new VideoToolError("failed", `ffmpeg could not make the poster frame: ${result.stderr.slice(0, 300)}`);
  }
  await rename(tmpPath, args.outPath);
};
