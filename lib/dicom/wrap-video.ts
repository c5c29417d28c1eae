/**
 * Video → Video Photographic (XC), Video Endoscopic (ES) or US Multi-frame (US) Image file, MPEG-4 AVC/H.264 or
 * HEVC transfer syntax, the whole MP4 in one fragment. Composes probeVideo (what the upload is), planVideo (stream
 * copy or one transcode), remuxMp4 (an MP4 that already conforms is rewritten while it is streamed into the DICOM
 * file: one pass, no work file) or prepareVideo (ffmpeg, for everything else), buildVideoDataset (what we say about
 * it), writeEncapsulatedFile (streamed, hashed, atomic write) and makePosterFrame (thumbnail for the UI, made in the
 * background from the finished file). Nothing holds the video in memory. See lib/dicom/README.md, "Video".
 */
import { stat, unlink } from "node:fs/promises";
import { buildVideoDataset, iodForModality, VIDEO_IODS, type TVideoIod } from "@/lib/dicom/build-video-dataset";
import { createLogger } from "@/lib/logger";
import { makePosterFrame } from "@/lib/dicom/make-poster-frame";
import type { TPhotoContext } from "@/lib/dicom/photo-context";
import { chooseTransferSyntax, planVideo, prepareVideo, type TX264Options } from "@/lib/dicom/prepare-video";
import { probeVideo, type TVideoProbe } from "@/lib/dicom/probe-video";
import { remuxMp4, type TMp4Remux } from "@/lib/dicom/remux-mp4";
import {
  requireUid,
} from "@/lib/dicom/uids";
import { VideoContextError, VideoInputError, VideoToolError } from "@/lib/dicom/video-errors";
import { writeEncapsulatedFile } from "@/lib/dicom/write-encapsulated";
import { fileMetaInformation } from "@/lib/dicom/dataset-modules";

export type { TVideoIod } from "@/lib/dicom/build-video-dataset";

/** Upload limits for one video. */
export type TVideoLimits = { maxDurationMs: number; maxBytes: number };

/**
 * Defaults: 20 minutes (a long procedure clip; beyond that split the recording), 2 GiB (a 20-minute 1080p phone
 * video at ~12 Mb/s is ~1.8 GB; a fragment can hold at most 4 GiB − 2, PS3.5 §8.2.7 note).
 */
export const DEFAULT_VIDEO_LIMITS: TVideoLimits = { maxDurationMs: 20 * 60 * 1000, maxBytes: 2 * 1024 ** 3 };

/** Largest even fragment length an item can state (PS3.5 §7.5: 32-bit length, FFFFFFFFH means undefined). */
const MAX_FRAGMENT_BYTES = 0xfffffffe;

/** What wrapVideo wrote: identifiers of the object, file size and hash, picture facts, what was re-encoded. */
export type TWrapVideoResult = {
  sopClassUid: string;
  transferSyntaxUid: string;
  size: number;
  sha256: string;
  rows: number;
  columns: number;
  frames: number;
  durationMs: number;
  /** The picture was transcoded (false: the video bit stream was copied unchanged). */
  reencoded: boolean;
  /** What happened to the sound. */
  audio: "copied" | "transcoded" | "none" | "dropped";
  /** How the MP4 in the fragment was made: rewritten here in one pass, or by ffmpeg (transcode or other remux). */
  remuxedBy: "wrapper" | "ffmpeg";
  /** Path of the poster JPEG (320 px wide, upright); written in the background, see `poster`. */
  posterJpeg: string;
  /** Settles when the poster is written (true) or could not be made (false, logged); never rejects. */
  poster: Promise<boolean>;
};

const log = createLogger("dicom");

const AUDIO_OUTCOME = { copy: "copied", transcode: "transcoded", none: "none", drop: "dropped" } as const;

/**
 * Wraps a video as a DICOM file at `outPath` (written to `outPath.tmp`, fsync'ed, then renamed). When ffmpeg has to
 * convert, its work file (`outPath.video.mp4`) lives next to it and is removed afterwards. The file is complete and
 * durable when the promise resolves; the poster JPEG follows in the background (`result.poster`).
 * @param args.inputPath - the uploaded file (MP4, MOV, WebM)
 * @param args.outPath - where the .dcm file goes; its directory must exist
 * @param args.context - patient, encounter, study, series and instance facts; `instance.anatomicRegion` required
 * @param args.limits - maximum duration and file size, default {@link DEFAULT_VIDEO_LIMITS}
 * @param args.iod - IOD to produce; default from `context.series.modality` (XC → Video Photographic, ES → Video
 *   Endoscopic); `us-multiframe` for point-of-care ultrasound clips
 * @param args.audio - `keep` (default: copied if AAC-conforming, else re-encoded to AAC) or `drop`
 * @param args.x264 - libx264 preset/CRF when the picture must be transcoded (default `medium`, CRF 18)
 * @param args.posterPath - where the poster JPEG goes, default `outPath + ".poster.jpg"`
 * @returns SOP Class, transfer syntax, size and SHA-256, geometry, frames, duration, what was re-encoded, poster path
 *   and a promise for the poster
 * @throws VideoInputError for an unusable upload; VideoContextError without an anatomic region; VideoToolError when
 *   ffmpeg is missing or fails; Error for an invalid UID or an over-long identifier
 */
export const wrapVideo = async (args: {
  inputPath: string;
  outPath: string;
  context: TPhotoContext;
  limits?: Partial<TVideoLimits>;
  iod?: TVideoIod;
  audio?: "keep" | "drop";
  x264?: TX264Options;
  posterPath?: string;
}): Promise<TWrapVideoResult> => {
  const { context } = args;
  const limits = { ...DEFAULT_VIDEO_LIMITS, ...args.limits };
  requireUid("Study Instance UID", context.study.studyInstanceUid);
  requireUid("Series Instance UID", context.series.seriesInstanceUid);
  requireUid("SOP Instance UID", context.instance.sopInstanceUid);
  if (!context.instance.anatomicRegion) {
    throw new VideoContextError(
      "missing-anatomic-region",
      "a video needs the body site (context.instance.anatomicRegion): Anatomic Region Sequence is required for " +
        "multi-frame images",
    );
  }
  const { size: inputBytes } = await stat(args.inputPath);
  if (inputBytes > limits.maxBytes) {
    const mib = Math.floor(limits.maxBytes / 1024 ** 2);
    throw new VideoInputError("too-large", `the video is larger than the ${mib} MiB limit`);
  }
  const tooLong = (): VideoInputError =>
    new VideoInputError("too-long", `the video is longer than the ${Math.round(limits.maxDurationMs / 1000)} s limit`);
  const probe = await probeVideo(args.inputPath, { maxDurationMs: limits.maxDurationMs });
  if (probe.durationMs !== null && probe.durationMs > limits.maxDurationMs) {
    throw tooLong();
  }
  const plan = planVideo(probe, { audio: args.audio, x264: args.x264 });
  const videoEntry = (p: TVideoProbe): "avc1" | "hvc1" => (p.video.codec === "hevc" ? "hvc1" : "avc1");
  const workPath = `${args.outPath}.video.mp4`;
  try {
    // An MP4 whose video and audio are copied as they are: rewritten here, in the same pass that writes the DICOM.
    let remux: TMp4Remux | null = null;
    let described = probe;
    if (plan.video.mode === "copy" && probe.container === "mp4" && (plan.audio === "copy" || plan.audio === "none")) {
      const direct = await remuxMp4(args.inputPath, { videoEntry: videoEntry(probe), audio: plan.audio === "copy" });
      if ("refused" in direct) {
        log.debug("video remuxed by ffmpeg", { reason: direct.refused });
      } else if (direct.videoSamples === probe.video.frames) {
        remux = direct;
      } else {
        log.debug("video remuxed by ffmpeg", { reason: "stsz sample count differs from ffprobe's frame count" });
      }
    }
    const remuxedBy = remux ? "wrapper" : "ffmpeg";
    if (!remux) {
      const { maxDurationMs } = limits;
      await prepareVideo({ inputPath: args.inputPath, outputPath: workPath, probe, plan, maxDurationMs });
      described = await probeVideo(workPath, { maxDurationMs: limits.maxDurationMs });
      // ffmpeg wrote moov last; move it first (fast start) while streaming, instead of ffmpeg's second full pass.
      const planned = await remuxMp4(workPath, { videoEntry: videoEntry(described), audio: described.audio !== null });
      if ("refused" in planned) {
        log.warn("ffmpeg output not rewritten; moov stays last", { reason: planned.refused });
        const { size: mp4Bytes } = await stat(workPath);
        remux = { parts: [{ path: workPath, start: 0, length: mp4Bytes }], length: mp4Bytes, videoSamples: 0 };
      } else {
        remux = planned;
      }
    }
    const out = described; // the MP4 that goes into the fragment (its tables are the upload's when remuxed here)
    const transferSyntaxUid = chooseTransferSyntax(out.video);
    const codec = out.video.codec;
    if (!transferSyntaxUid || (codec !== "h264" && codec !== "hevc") || !out.video.frames || !out.durationMs) {
      throw new VideoToolError("failed", "the converted video does not conform to an MPEG-4 AVC/HEVC transfer syntax");
    }
    if (out.durationMs > limits.maxDurationMs) {
      throw tooLong();
    }
    if (remux.length > MAX_FRAGMENT_BYTES) {
      throw new VideoInputError("too-large", "the converted video exceeds the 4 GiB a DICOM fragment can hold");
    }
    const iod = args.iod ?? iodForModality(context.series.modality);
    const { sopClassUid } = VIDEO_IODS[iod];
    const facts = {
      rows: out.video.height,
      columns: out.video.width,
      frames: out.video.frames,
      durationMs: out.durationMs,
      codec,
      encapsulatedBytes: remux.length,
      audioChannels: out.audio?.channels ?? 0,
    } as const;
    const meta = fileMetaInformation(sopClassUid, context.instance.sopInstanceUid, transferSyntaxUid);
    const { size, sha256, fragmentOffset } = await writeEncapsulatedFile({
      outPath: args.outPath,
      meta,
      dataset: buildVideoDataset(context, iod, facts),
      fragment: { parts: remux.parts },
    });
    // The poster is for the UI only: made from the durable file, after this returns, on ffmpeg's own process.
    const posterJpeg = args.posterPath ?? `${args.outPath}.poster.jpg`;
    const poster = makePosterFrame({
      videoPath: args.outPath,
      range: { start: fragmentOffset, length: remux.length },
      outPath: posterJpeg,
      durationMs: facts.durationMs,
    }).then(
      () => true,
      (err: unknown) => {
        log.warn("poster frame not made", { error: err instanceof Error ? err.name : "unknown" });
        return false;
      },
    );
    return {
      sopClassUid,
      transferSyntaxUid,
      size,
      sha256,
      rows: facts.rows,
      columns: facts.columns,
      frames: facts.frames,
      durationMs: facts.durationMs,
      reencoded: plan.video.mode === "transcode",
      audio: AUDIO_OUTCOME[plan.audio],
      remuxedBy,
      posterJpeg,
      poster,
    };
  } finally {
    await unlink(workPath).catch(() => undefined);
  }
};
