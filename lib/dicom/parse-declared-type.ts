/**
 * What the uploader claims a file is: a MIME type (`Content-Type` of the multipart part, e.g. `image/jpeg`) or a
 * file name / extension (`IMG_0001.HEIC`, `.jpg`). Generic or unknown claims (`application/octet-stream`, no
 * extension) return null, so only a specific claim can contradict the magic bytes.
 */
import type { TMediaType } from "@/lib/dicom/sniff-media-type";

const BY_MIME: Record<string, TMediaType> = {
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/pjpeg": "jpeg",
  "image/png": "png",
  "image/x-png": "png",
  "image/apng": "png",
  "image/webp": "webp",
  "image/tiff": "tiff",
  "image/tiff-fx": "tiff",
  "image/heic": "heic",
  "image/heif": "heic",
  "image/heic-sequence": "heic",
  "image/heif-sequence": "heic",
  "image/avif": "avif",
  "image/gif": "gif",
  "image/bmp": "bmp",
  "image/x-ms-bmp": "bmp",
  "application/pdf": "pdf",
  "image/svg+xml": "svg",
  "application/dicom": "dicom",
};

const BY_EXTENSION: Record<string, TMediaType> = {
  jpg: "jpeg",
  jpeg: "jpeg",
  jpe: "jpeg",
  jfif: "jpeg",
  png: "png",
  webp: "webp",
  tif: "tiff",
  tiff: "tiff",
  heic: "heic",
  heif: "heic",
  hif: "heic",
  avif: "avif",
  gif: "gif",
  bmp: "bmp",
  pdf: "pdf",
  svg: "svg",
  dcm: "dicom",
};

/** type/subtype (RFC 6838 §4.2), parameters after ";" ignored. */
const MIME = /^([a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*)\s*(?:;.*)?$/;

/** A claim as it may appear in a message: the normalized MIME type or `.ext`, never the rest of a file name. */
export type TDeclaredType = { type: TMediaType; label: string };

/**
 * @param declared - a MIME type (parameters such as `; charset=` are ignored) or a file name / extension
 * @returns the format claimed and a PHI-free label for messages, or null when the claim is generic or unknown
 */
export const parseDeclaredType = (declared: string | undefined): TDeclaredType | null => {
  const value = (declared ?? "").trim().toLowerCase();
  const mime = MIME.exec(value)?.[1];
  if (mime !== undefined) {
    const type = BY_MIME[mime];
    return type === undefined ? null : { type, label: mime };
  }
  const name = value.slice(Math.max(value.lastIndexOf("/"), value.lastIndexOf("\\")) + 1);
  const dot = name.lastIndexOf(".");
  const extension = dot >= 0 ? name.slice(dot + 1) : name;
  const type = BY_EXTENSION[extension];
  return type === undefined ? null : { type, label: `.${extension}` };
};
