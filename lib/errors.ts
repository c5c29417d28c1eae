/**
 * One error type for the domain layer, mapped to HTTP by lib/http/handle-api-error.ts.
 */
export const APP_ERROR_STATUS = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  bad_request: 400,
  /** The upload is not a kind of file we can turn into DICOM. */
  unsupported_media: 415,
  /** Larger than the configured limit (bytes or pixels). */
  too_large: 413,
  unprocessable: 422,
  conflict: 409,
  /** A tool the server needs for this upload is missing (e.g. ffmpeg): the server's problem, retry later. */
  unavailable: 503,
} as const;

export type TAppErrorCode = keyof typeof APP_ERROR_STATUS;

export class AppError extends Error {
  readonly code: TAppErrorCode;

  constructor(code: TAppErrorCode, message: string) {
    super(message);
    this.code = code;
  }

  get status(): number {
    return APP_ERROR_STATUS[this.code];
  }
}
