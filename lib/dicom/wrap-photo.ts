/**
 * Photo → VL Photographic (XC) or VL Endoscopic (ES) Image file, JPEG Baseline transfer syntax.
 * Composes normalizePhoto (what pixels we encapsulate), buildPhotoDataset (what we say about them) and
 * writeEncapsulatedFile (atomic, hashed write). See lib/dicom/README.md for every attribute and rule.
 */
import { buildPhotoDataset, SOP_CLASS_BY_MODALITY } from "@/lib/dicom/build-photo-dataset";
import { normalizePhoto } from "@/lib/dicom/normalize-photo";
import type { TPhotoContext } from "@/lib/dicom/photo-context";
import {
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  isValidUid,
  JPEG_BASELINE_TRANSFER_SYNTAX,
} from "@/lib/dicom/uids";
import { writeEncapsulatedFile } from "@/lib/dicom/write-encapsulated";

export type { TPhotoContext } from "@/lib/dicom/photo-context";

/** Default pixel limit: 100 M pixels, above the 12–50 MP photos phones save, well below sharp's 268 M default. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export type TWrapPhotoResult = {
  sopClassUid: string;
  transferSyntaxUid: string;
  size: number;
  sha256: string;
  rows: number;
  columns: number;
  reencoded: boolean;
};

const requireUid = (name: string, uid: string): void => {
  if (!isValidUid(uid)) {
    throw new Error(`${name} "${uid}" is not a valid DICOM UID`);
  }
};

/**
 * Wraps a photo as a DICOM file at `outPath` (written to `outPath.tmp`, fsync'ed, then renamed).
 * @param args.input - the uploaded image (JPEG, PNG, WebP, TIFF, AVIF)
 * @param args.outPath - where the .dcm file goes; its directory must exist
 * @param args.context - patient, encounter, study, series and instance facts
 * @param args.maxPixels - pixel limit, default {@link DEFAULT_MAX_PIXELS}
 * @returns SOP Class, transfer syntax, file size and SHA-256, image size, and whether pixels were re-encoded
 * @throws PhotoInputError for an unusable image; Error for an invalid UID or an over-long identifier
 */
export const wrapPhoto = async (args: {
  input: Buffer;
  outPath: string;
  context: TPhotoContext;
  maxPixels?: number;
}): Promise<TWrapPhotoResult> => {
  const { context } = args;
  requireUid("Study Instance UID", context.study.studyInstanceUid);
  requireUid("Series Instance UID", context.series.seriesInstanceUid);
  requireUid("SOP Instance UID", context.instance.sopInstanceUid);
  const photo = await normalizePhoto(args.input, { maxPixels: args.maxPixels ?? DEFAULT_MAX_PIXELS });
  const pixels = {
    rows: photo.height,
    columns: photo.width,
    samplesPerPixel: photo.components,
    photometric: photo.photometric,
  };
  const sopClassUid = SOP_CLASS_BY_MODALITY[context.series.modality];
  // File Meta Information (PS3.10 §7.1).
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0x00, 0x01]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: context.instance.sopInstanceUid,
    TransferSyntaxUID: JPEG_BASELINE_TRANSFER_SYNTAX,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const { size, sha256 } = await writeEncapsulatedFile({
    outPath: args.outPath,
    meta,
    dataset: buildPhotoDataset(context, pixels, photo.jpegLength),
    fragment: photo.jpegParts,
  });
  return {
    sopClassUid,
    transferSyntaxUid: JPEG_BASELINE_TRANSFER_SYNTAX,
    size,
    sha256,
    rows: photo.height,
    columns: photo.width,
    reencoded: photo.reencoded,
  };
};
