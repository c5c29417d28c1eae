/**
 * Typed errors of the video → DICOM path (same pattern as photo-errors.ts). Messages never contain patient data, only
 * what is wrong with the input, the context or the tools.
 */

/**
 * Why a video was refused:
 * - `unsupported-type`: a container we do not accept (we take MP4, QuickTime MOV, WebM/Matroska)
 * - `not-video`: readable by ffprobe but has no moving picture (audio only, a still image, cover art)
 * - `corrupt`: ffprobe cannot read it, or ffmpeg reports damaged or truncated data while converting it
 * - `too-long`: longer than the configured maximum duration
 * - `too-large`: bigger than the configured maximum file size
 */
export type TVideoInputErrorCode = "unsupported-type" | "not-video" | "corrupt" | "too-long" | "too-large";

/** A video that cannot be turned into a DICOM object; maps to a 4xx for the uploader. */
export class VideoInputError extends Error {
  readonly code: TVideoInputErrorCode;
  constructor(code: TVideoInputErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VideoInputError";
    this.code = code;
  }
}

/**
 * The capture flow did not give what a video object needs:
 * - `missing-anatomic-region`: Anatomic Region Sequence (0008,2218) is Type 1C for multi-frame VL images (PS3.3
 *   C.8.12.1) and required by the Video Endoscopic IOD (A.32.5.3.3)
 */
export type TVideoContextErrorCode = "missing-anatomic-region";

/** A programming or workflow error in the caller (not the uploader's fault); maps to a 5xx or a form error. */
export class VideoContextError extends Error {
  readonly code: TVideoContextErrorCode;
  constructor(code: TVideoContextErrorCode, message: string) {
    super(message);
    this.name = "VideoContextError";
    this.code = code;
  }
}

/**
 * ffmpeg/ffprobe could not be used:
 * - `missing`: the binary is not installed (Debian package `ffmpeg`)
 * - `failed`: it ended unexpectedly on a file it had accepted (an internal error, not a bad upload)
 */
export type TVideoToolErrorCode = "missing" | "failed";

/** The media tools are missing or misbehaved; maps to a 5xx. */
export class VideoToolError extends Error {
  readonly code: TVideoToolErrorCode;
  constructor(code: TVideoToolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VideoToolError";
    this.code = code;
  }
}
