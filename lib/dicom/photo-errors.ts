/**
 * Typed errors of the photo → DICOM path. Messages never contain patient data, only what is wrong with the input.
 */

/** Why a JPEG byte stream could not be parsed (ITU-T T.81 Annex B syntax). */
export type TJpegFormatErrorCode = "not-jpeg" | "truncated" | "malformed";

/** The input is not a well-formed JPEG interchange stream. */
export class JpegFormatError extends Error {
  readonly code: TJpegFormatErrorCode;
  constructor(code: TJpegFormatErrorCode, message: string) {
    super(message);
    this.name = "JpegFormatError";
    this.code = code;
  }
}

/**
 * Why a photo was refused:
 * - `unsupported-type`: empty, not an image, or an image format we do not accept (we accept JPEG, PNG, WebP, TIFF,
 *   HEIC/HEIF, AVIF)
 * - `type-mismatch`: the magic bytes say one format, the declared MIME type or file extension another
 * - `corrupt`: looks like an accepted format but cannot be parsed or decoded (truncated, bad segment)
 * - `too-large`: more pixels than the configured limit (checked from the header, before decoding)
 */
export type TPhotoInputErrorCode = "unsupported-type" | "type-mismatch" | "corrupt" | "too-large";

/** A photo that cannot be turned into a DICOM object; maps to a 4xx for the uploader. */
export class PhotoInputError extends Error {
  readonly code: TPhotoInputErrorCode;
  constructor(code: TPhotoInputErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PhotoInputError";
    this.code = code;
  }
}
