/**
 * Photo → VL Photographic (XC) or VL Endoscopic (ES) Image file. Composes normalizePhoto (what pixels we store),
 * resolveContentDateTime (when the photo was taken), buildPhotoDataset (what we say about them) and the writer for
 * the chosen transfer syntax: JPEG Baseline (encapsulated) for JPEG, HEIC and other lossy sources, Explicit VR Little
 * Endian (native) for lossless sources. See lib/dicom/README.md for every attribute and rule.
 */
import { buildPhotoDataset, SOP_CLASS_BY_MODALITY } from "@/lib/dicom/build-photo-dataset";
import { normalizePhoto } from "@/lib/dicom/normalize-photo";
import type { TPhotoContext } from "@/lib/dicom/photo-context";
import { resolveContentDateTime } from "@/lib/dicom/resolve-content-date-time";
import type { TPhotoMediaType } from "@/lib/dicom/sniff-media-type";
import {
  EXPLICIT_VR_LITTLE_ENDIAN,
  JPEG_BASELINE_TRANSFER_SYNTAX,
  requireUid,
} from "@/lib/dicom/uids";
import { writeEncapsulatedFile } from "@/lib/dicom/write-encapsulated";
import { writeNativeFile } from "@/lib/dicom/write-native";
import { fileMetaInformation } from "@/lib/dicom/dataset-modules";

export type { TPhotoContext } from "@/lib/dicom/photo-context";

/** Default pixel limit: 100 M pixels, above the 12–50 MP photos phones save, well below sharp's 268 M default. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** What was written: SOP Class, transfer syntax, file size and hash, geometry, source format, content time. */
export type TWrapPhotoResult = {
  sopClassUid: string;
  transferSyntaxUid: string;
  size: number;
  sha256: string;
  rows: number;
  columns: number;
  reencoded: boolean;
  /** The format the file's magic bytes say. */
  sourceType: TPhotoMediaType;
  /** Content Date/Time and Acquisition DateTime written, and whether they came from EXIF or the capture time. */
  contentDateTime: Date;
  contentDateTimeSource: "exif" | "capture";
};

/**
 * Wraps a photo as a DICOM file at `outPath` (written to `outPath.tmp`, fsync'ed, then renamed).
 * @param args.input - the uploaded image (JPEG, PNG, WebP, TIFF, HEIC/HEIF, AVIF)
 * @param args.outPath - where the .dcm file goes; its directory must exist
 * @param args.context - patient, encounter, study, series and instance facts
 * @param args.maxPixels - pixel limit, default {@link DEFAULT_MAX_PIXELS}
 * @param args.declaredType - the upload's MIME type or file name / extension; refused when the content differs
 * @returns SOP Class, transfer syntax, file size and SHA-256, image size, whether pixels were re-encoded, the source
 *   format and the content date-time used
 * @throws PhotoInputError for an unusable image; Error for an invalid UID or an over-long identifier
 */
export const wrapPhoto = async (args: {
  input: Buffer;
  outPath: string;
  context: TPhotoContext;
  maxPixels?: number;
  declaredType?: string;
}): Promise<TWrapPhotoResult> => {
  const { context } = args;
  requireUid("Study Instance UID", context.study.studyInstanceUid);
  requireUid("Series Instance UID", context.series.seriesInstanceUid);
  requireUid("SOP Instance UID", context.instance.sopInstanceUid);
  const photo = await normalizePhoto(args.input, {
    maxPixels: args.maxPixels ?? DEFAULT_MAX_PIXELS,
    declaredType: args.declaredType,
  });
  const content = resolveContentDateTime(
    photo.exif,
    context.instance.contentDateTime,
    context.instance.preferExifDateTime ?? true,
  );
  const pixels = {
    rows: photo.height,
    columns: photo.width,
    samplesPerPixel: photo.components,
    photometric: photo.photometric,
    iccProfile: photo.iccProfile,
    iccAssumed: photo.iccAssumed,
  };
  const sopClassUid = SOP_CLASS_BY_MODALITY[context.series.modality];
  const transferSyntaxUid = photo.encoding === "jpeg" ? JPEG_BASELINE_TRANSFER_SYNTAX : EXPLICIT_VR_LITTLE_ENDIAN;
  const meta = fileMetaInformation(sopClassUid, context.instance.sopInstanceUid, transferSyntaxUid);
  const { size, sha256 } =
    photo.encoding === "jpeg"
      ? await writeEncapsulatedFile({
          outPath: args.outPath,
          meta,
          dataset: buildPhotoDataset(context, pixels, photo.jpegLength, content.dateTime),
          fragment: photo.jpegParts,
        })
      : await writeNativeFile({
          outPath: args.outPath,
          meta,
          dataset: buildPhotoDataset(context, pixels, null, content.dateTime),
          pixels: photo.pixels,
        });
  return {
    sopClassUid,
    transferSyntaxUid,
    size,
    sha256,
    rows: photo.height,
    columns: photo.width,
    reencoded: photo.reencoded,
    sourceType: photo.sourceType,
    contentDateTime: content.dateTime,
    contentDateTimeSource: content.source,
  };
};
