/**
 * Typed errors of the imported-DICOM path (files exported by a device, re-identified before forwarding). Messages say
 * what is wrong with the file and never contain patient data (no names, no IDs, no values read from the file other
 * than UIDs of SOP Classes and Transfer Syntaxes, which identify no one).
 */

/**
 * Why an imported DICOM file was refused:
 * - `not-dicom`: no Part 10 preamble + "DICM" prefix (PS3.10 §7.1), or File Meta Information that cannot be read
 * - `truncated`: an element, an item or the Pixel Data runs past the end of the file
 * - `malformed`: the byte stream is not a valid encoding (bad VR, item outside a sequence, missing Transfer Syntax)
 * - `unsupported-transfer-syntax`: big endian (retired), deflated, JPIP-referenced or unknown transfer syntax
 * - `unsupported-sop-class`: not an image SOP Class we forward (SR, presentation state, KOS, PDF, raw data, …)
 * - `no-pixel-data`: an image SOP Class without Pixel Data (7FE0,0010)
 * - `charset-conflict`: the ADT names cannot be written in the file's Specific Character Set (0008,0005)
 */
export type TDicomImportErrorCode =
  | "not-dicom"
  | "truncated"
  | "malformed"
  | "unsupported-transfer-syntax"
  | "unsupported-sop-class"
  | "no-pixel-data"
  | "charset-conflict";

/** An imported DICOM file that cannot be re-identified and forwarded; maps to a 4xx for the uploader. */
export class DicomImportError extends Error {
  readonly code: TDicomImportErrorCode;
  constructor(code: TDicomImportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DicomImportError";
    this.code = code;
  }
}
