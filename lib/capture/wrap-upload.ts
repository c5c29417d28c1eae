/**
 * One uploaded file → one DICOM file under DATA_DIR/media, by what the file IS (magic bytes, not the declared type)
 * and what the catalog item produces:
 * - a DICOM Part 10 file (a point-of-care ultrasound export, an endoscopy tower's object): re-identified with the
 *   encounter's ADT identity, pixel data untouched, new UIDs, the device's values kept in Original Attributes
 *   Sequence (lib/dicom/reidentify-dicom.ts); its series follow the device's series;
 * - a video (MP4/MOV, WebM/Matroska): Video Photographic (XC), Video Endoscopic (ES) or US Multi-frame (US) per the
 *   item, H.264/HEVC in one fragment, remuxed when it conforms (lib/dicom/wrap-video.ts); a poster JPEG is kept
 *   next to it for the UI; a body site is required (Anatomic Region Sequence, PS3.3 A.32.7);
 * - a photo for a US item: US Image (lib/dicom/wrap-ultrasound-image.ts);
 * - any other photo: VL Photographic (XC) or VL Endoscopic (ES) Image per the item (lib/dicom/wrap-photo.ts).
 * Problems with the file become an AppError naming the file and the reason (4xx); nothing is recorded here.
 */
import fs from "node:fs";
import { AppError } from "../errors";
import { DicomImportError } from "../dicom/dicom-import-errors";
import { fingerprintIdentity } from "../dicom/fingerprint-identity";
import type { TPhotoContext } from "../dicom/photo-context";
import { PhotoInputError } from "../dicom/photo-errors";
import { VideoContextError, VideoInputError, VideoToolError } from "../dicom/video-errors";
import { wrapVideo } from "../dicom/wrap-video";
import { reidentifyDicom } from "../dicom/reidentify-dicom";
import { wrapPhoto } from "../dicom/wrap-photo";
import { wrapUltrasoundImage } from "../dicom/wrap-ultrasound-image";
import type { TUploadedFile } from "./receive-upload";

export type TWrappedUpload = {
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  seriesInstanceUid: string;
  modality: string;
  size: number;
  sha256: string;
  stampedIdentity: string;
};

/** Modality of an imported object's series, from its SOP Class (the file keeps its own Modality attribute). */
const MODALITY_BY_SOP_CLASS: Record<string, string> = {
  "1.2.840.10008.5.1.4.1.1.6.1": "US",
  "1.2.840.10008.5.1.4.1.1.3.1": "US",
  "1.2.840.10008.5.1.4.1.1.6.2": "US",
  "1.2.840.10008.5.1.4.1.1.77.1.1": "ES",
  "1.2.840.10008.5.1.4.1.1.77.1.1.1": "ES",
  "1.2.840.10008.5.1.4.1.1.77.1.4": "XC",
  "1.2.840.10008.5.1.4.1.1.77.1.4.1": "XC",
};

/** What a file is by its first bytes (also used to check the catalog item's allowed media): DICOM Part 10 ("DICM" after the preamble), a video container, or other. */
export const sniffFile = async (file: string): Promise<"dicom" | "video" | "other"> => {
  const handle = await fs.promises.open(file, "r");
  try {
    const head = Buffer.alloc(132);
    const { bytesRead } = await handle.read(head, 0, 132, 0);
    if (bytesRead === 132 && head.toString("latin1", 128, 132) === "DICM") {
      return "dicom";
    }
    // ISO BMFF (MP4, MOV: a box whose type is "ftyp") or EBML (WebM, Matroska).
    const isoBmff = bytesRead >= 12 && head.toString("latin1", 4, 8) === "ftyp";
    const ebml = bytesRead >= 4 && head.readUInt32BE(0) === 0x1a45dfa3;

    return isoBmff || ebml ? "video" : "other";
  } finally {
    await handle.close();
  }
};

/**
 * @param file - the uploaded file (on disk)
 * @param context - the DICOM context of this file (identity, study, series, instance)
 * @param options - item modality, absolute output path, pixel limit, the series UID of each imported device series,
 *   the file's name for messages
 * @throws AppError (unsupported_media / too_large) naming the file, for a file that cannot become DICOM
 */
export const wrapUpload = async (
  file: TUploadedFile,
  context: TPhotoContext,
  options: {
    /** The catalog item's modality: XC, ES or US. */
    modality: string;
    outPath: string;
    maxPixels?: number;
    videoLimits?: { maxDurationMs?: number; maxBytes?: number };
    seriesUidFor: (original: string) => string;
    label: string;
  },
): Promise<TWrappedUpload> => {
  const stampedIdentity = fingerprintIdentity(context);
  /** An object we made (not imported): it has the capture's series and the instance UID we minted. */
  const ours = (
    result: { sopClassUid: string; transferSyntaxUid: string; size: number; sha256: string },
    modality: string,
  ): TWrappedUpload => ({
    sopInstanceUid: context.instance.sopInstanceUid,
    sopClassUid: result.sopClassUid,
    transferSyntaxUid: result.transferSyntaxUid,
    seriesInstanceUid: context.series.seriesInstanceUid,
    modality,
    size: result.size,
    sha256: result.sha256,
    stampedIdentity,
  });
  try {
    const kind = await sniffFile(file.tempPath);
    if (kind === "video") {
      const modality = options.modality === "ES" || options.modality === "US" ? options.modality : "XC";
      const result = await wrapVideo({
        inputPath: file.tempPath,
        outPath: options.outPath,
        context,
        iod: modality === "ES" ? "video-endoscopic" : modality === "US" ? "us-multiframe" : "video-photographic",
        limits: options.videoLimits,
      });

      return ours(result, modality);
    }
    if (kind === "dicom") {
      const result = await reidentifyDicom({
        inputPath: file.tempPath,
        outPath: options.outPath,
        context,
        uids: {
          studyInstanceUid: context.study.studyInstanceUid,
          seriesInstanceUidFor: options.seriesUidFor,
          sopInstanceUid: context.instance.sopInstanceUid,
        },
      });

      return {
        sopInstanceUid: result.sopInstanceUid,
        sopClassUid: result.sopClassUid,
        transferSyntaxUid: result.transferSyntaxUid,
        seriesInstanceUid: result.seriesInstanceUid,
        modality: MODALITY_BY_SOP_CLASS[result.sopClassUid] ?? "OT",
        size: result.size,
        sha256: result.sha256,
        stampedIdentity,
      };
    }
    const input = await fs.promises.readFile(file.tempPath);
    const modality = options.modality;
    const result =
      modality === "US"
        ? await wrapUltrasoundImage({
            input,
            outPath: options.outPath,
            context: { ...context, series: { ...context.series, modality: "US" } },
            maxPixels: options.maxPixels,
          })
        : await wrapPhoto({
            input,
            outPath: options.outPath,
            context: { ...context, series: { ...context.series, modality: modality === "ES" ? "ES" : "XC" } },
            maxPixels: options.maxPixels,
            // What the uploader claimed (MIME type, else the file name): content that contradicts it is refused.
            declaredType: file.mimeType && file.mimeType !== "application/octet-stream" ? file.mimeType : file.originalName,
          });

    return ours(result, modality);
  } catch (error) {
    fs.rmSync(`${options.outPath}.tmp`, { force: true });
    if (error instanceof VideoToolError && error.code === "missing") {
      throw new AppError("unavailable", `${options.label}: the server cannot convert video yet (${error.message})`);
    }
    if (error instanceof VideoContextError) {
      throw new AppError("bad_request", `${options.label}: choose a body site — a video needs one (${error.message})`);
    }
    if (error instanceof VideoInputError) {
      throw new AppError(error.code === "too-large" || error.code === "too-long" ? "too_large" : "unsupported_media", `${options.label}: ${error.message}`);
    }
    if (error instanceof PhotoInputError) {
      throw new AppError(error.code === "too-large" ? "too_large" : "unsupported_media", `${options.label}: ${error.message}`);
    }
    if (error instanceof DicomImportError) {
      throw new AppError("unsupported_media", `${options.label}: ${error.message}`);
    }
    throw error;
  }
};
