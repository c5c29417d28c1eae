/**
 * Which photo format an upload is, from its magic bytes, and whether that agrees with what the uploader declared.
 * Refusals come first, before any decoder sees the bytes: empty, not an image, a format we do not accept, or a
 * specific declared MIME type / extension that contradicts the content.
 */
import { parseDeclaredType } from "@/lib/dicom/parse-declared-type";
import { PhotoInputError } from "@/lib/dicom/photo-errors";
import {
  isPhotoMediaType,
  MEDIA_TYPE_NAMES,
  sniffMediaType,
  type TMediaType,
  type TPhotoMediaType,
} from "@/lib/dicom/sniff-media-type";

const ACCEPTED = "accepted: JPEG, PNG, WebP, TIFF, HEIC/HEIF, AVIF";

/** AVIF is a HEIF profile: a `.heif` / `image/heif` claim for an AVIF is not a contradiction. */
const agree = (content: TMediaType, declared: TMediaType): boolean =>
  content === declared || (content === "avif" && declared === "heic");

/**
 * @param input - the uploaded file
 * @param declaredType - MIME type or file name / extension the uploader gave, if any
 * @returns the sniffed photo format
 * @throws PhotoInputError `unsupported-type` or `type-mismatch`; messages name formats, never the file name
 */
export const identifyPhoto = (input: Buffer, declaredType: string | undefined): TPhotoMediaType => {
  if (input.length === 0) {
    throw new PhotoInputError("unsupported-type", "File is empty, not a supported image");
  }
  const type = sniffMediaType(input.subarray(0, 4096));
  if (type === null) {
    throw new PhotoInputError("unsupported-type", `File is not a supported image (${ACCEPTED})`);
  }
  if (!isPhotoMediaType(type)) {
    throw new PhotoInputError("unsupported-type", `${MEDIA_TYPE_NAMES[type]} files are not accepted (${ACCEPTED})`);
  }
  const declared = parseDeclaredType(declaredType);
  if (declared !== null && !agree(type, declared.type)) {
    throw new PhotoInputError(
      "type-mismatch",
      `File content is ${MEDIA_TYPE_NAMES[type]} but it was declared as ${declared.label}`,
    );
  }
  return type;
};
