/**
 * Ultrasound still exported as JPEG by a device → Ultrasound Image file (PS3.3 A.6, Modality US), JPEG Baseline
 * transfer syntax. Composes normalizePhoto (metadata stripped, upright baseline JPEG kept byte for byte),
 * buildUsDataset and writeEncapsulatedFile (atomic, hashed write).
 *
 * One rule differs from photos: for 3 components in a lossy JPEG transfer syntax the US Image module accepts only
 * YBR_FULL_422 (its Photometric Interpretation rules, PS3.3 C.8.5.6.1; dciodvfy checks them), so a colour JPEG
 * without chroma subsampling (4:4:4, or Adobe RGB) is re-encoded once as baseline 4:2:0 quality 95.
 */
import sharp from "sharp";
import { buildUsDataset, US_IMAGE_STORAGE, type TUltrasoundContext } from "@/lib/dicom/build-us-dataset";
import { normalizePhoto } from "@/lib/dicom/normalize-photo";
import { PhotoInputError } from "@/lib/dicom/photo-errors";
import {
  JPEG_BASELINE_TRANSFER_SYNTAX,
  requireUid,
} from "@/lib/dicom/uids";
import { writeEncapsulatedFile } from "@/lib/dicom/write-encapsulated";
import { fileMetaInformation } from "@/lib/dicom/dataset-modules";

export type { TUltrasoundContext, TUsRegion } from "@/lib/dicom/build-us-dataset";

/** Default pixel limit: ultrasound stills are at most a few megapixels. */
export const DEFAULT_US_MAX_PIXELS = 50_000_000;

export type TWrapUltrasoundResult = {
  sopClassUid: string;
  transferSyntaxUid: string;
  size: number;
  sha256: string;
  rows: number;
  columns: number;
  photometric: string;
  /** false when the device's JPEG scan data is encapsulated byte for byte. */
  reencoded: boolean;
};

type TJpegPhoto = {
  jpegParts: Buffer[];
  jpegLength: number;
  jpeg: Buffer;
  width: number;
  height: number;
  components: number;
  photometric: string;
  reencoded: boolean;
};

/** normalizePhoto for a JPEG input; a JPEG always comes back as a JPEG (pass-through or baseline re-encode). */
const normalizeJpeg = async (input: Buffer, maxPixels: number): Promise<TJpegPhoto> => {
  const photo = await normalizePhoto(input, { maxPixels });
  if ("pixels" in photo) {
    throw new Error("normalizePhoto returned native pixels for a JPEG input");
  }
  return photo as TJpegPhoto;
};

/**
 * Wraps an ultrasound JPEG still as a US Image file at `outPath` (written to `outPath.tmp`, fsync'ed, renamed).
 * @param args.input - the JPEG the device exported
 * @param args.outPath - where the .dcm file goes; its directory must exist
 * @param args.context - patient, encounter, study, series (Modality US), instance and ultrasound facts
 * @param args.maxPixels - pixel limit, default {@link DEFAULT_US_MAX_PIXELS}
 * @returns SOP Class, transfer syntax, size and SHA-256, geometry, Photometric Interpretation, whether re-encoded
 * @throws PhotoInputError for an input that is not a usable JPEG; Error for an invalid UID or an over-long identifier
 */
export const wrapUltrasoundImage = async (args: {
  input: Buffer;
  outPath: string;
  context: TUltrasoundContext;
  maxPixels?: number;
}): Promise<TWrapUltrasoundResult> => {
  const { context } = args;
  const maxPixels = args.maxPixels ?? DEFAULT_US_MAX_PIXELS;
  requireUid("Study Instance UID", context.study.studyInstanceUid);
  requireUid("Series Instance UID", context.series.seriesInstanceUid);
  requireUid("SOP Instance UID", context.instance.sopInstanceUid);
  if (args.input.length < 2 || args.input[0] !== 0xff || args.input[1] !== 0xd8) {
    throw new PhotoInputError("unsupported-type", "Ultrasound stills must be JPEG files as the device exports them");
  }
  let photo = await normalizeJpeg(args.input, maxPixels);
  let reencoded = photo.reencoded;
  if (photo.components === 3 && photo.photometric !== "YBR_FULL_422") {
    const jpeg = await sharp(photo.jpeg, { limitInputPixels: maxPixels })
      .jpeg({ quality: 95, chromaSubsampling: "4:2:0", mozjpeg: false, progressive: false })
      .toBuffer();
    photo = await normalizeJpeg(jpeg, maxPixels);
    reencoded = true;
  }
  const pixels = {
    rows: photo.height,
    columns: photo.width,
    samplesPerPixel: photo.components,
    photometric: photo.photometric as "MONOCHROME2" | "YBR_FULL_422",
  };
  const meta = fileMetaInformation(US_IMAGE_STORAGE, context.instance.sopInstanceUid, JPEG_BASELINE_TRANSFER_SYNTAX);
  const { size, sha256 } = await writeEncapsulatedFile({
    outPath: args.outPath,
    meta,
    dataset: buildUsDataset(context, pixels, photo.jpegLength),
    fragment: photo.jpegParts,
  });
  return {
    sopClassUid: US_IMAGE_STORAGE,
    transferSyntaxUid: JPEG_BASELINE_TRANSFER_SYNTAX,
    size,
    sha256,
    rows: photo.height,
    columns: photo.width,
    photometric: pixels.photometric,
    reencoded,
  };
};
