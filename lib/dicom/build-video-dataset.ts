/**
 * Builds the naturalized dataset (everything except Pixel Data) of a video object. The IOD is a parameter:
 * - Video Photographic Image (PS3.3 A.32.7, XC) and Video Endoscopic Image (A.32.5, ES): the modules of the VL still
 *   IODs plus Cine (C.7.6.5) and Multi-frame (C.7.6.6);
 * - US Multi-frame Image (A.7, US): General modules + Cine + Multi-frame + US Image (C.8.5.6); no VL Image module,
 *   so no Image Laterality (Laterality instead) and no Acquisition Context.
 *
 * The modules every IOD shares (Patient, General Study, Patient Study, General Series, General Equipment, General
 * Acquisition, General Image, SOP Common) carry the same values, from the same context fields, as the photo objects
 * (lib/dicom/README.md, "Dataset"), so photos and videos of one capture file together.
 */
import type { TNaturalDataset } from "dcmjs";
import {
  toDicomDate,
  toDicomDateTime,
  toDicomTime,
  toTimezoneOffset,
} from "@/lib/dicom/format-dicom-values";
import type { TPhotoContext } from "@/lib/dicom/photo-context";
import {
  US_MULTIFRAME_IMAGE_STORAGE,
  VIDEO_ENDOSCOPIC_IMAGE_STORAGE,
  VIDEO_PHOTOGRAPHIC_IMAGE_STORAGE,
} from "@/lib/dicom/uids";
import { VideoContextError } from "@/lib/dicom/video-errors";
import { codeItem, consentModule, patientModule, pn, studyModules } from "@/lib/dicom/dataset-modules";

/** The IODs a video can be stored as. */
export type TVideoIod = "video-photographic" | "video-endoscopic" | "us-multiframe";

/** SOP Class and Modality of each IOD (PS3.3 A.32.7.3.1, A.32.5.3.1, A.7.3). */
export const VIDEO_IODS = {
  "video-photographic": { sopClassUid: VIDEO_PHOTOGRAPHIC_IMAGE_STORAGE, modality: "XC" },
  "video-endoscopic": { sopClassUid: VIDEO_ENDOSCOPIC_IMAGE_STORAGE, modality: "ES" },
  "us-multiframe": { sopClassUid: US_MULTIFRAME_IMAGE_STORAGE, modality: "US" },
} as const satisfies Record<TVideoIod, { sopClassUid: string; modality: string }>;

/** The default IOD for a series Modality: XC → Video Photographic, ES → Video Endoscopic. */
export const iodForModality = (modality: TPhotoContext["series"]["modality"]): TVideoIod =>
  modality === "ES" ? "video-endoscopic" : "video-photographic";

/** Facts about the encapsulated bit stream, measured on the MP4 that is written. */
export type TVideoFacts = {
  /** Displayed (upright) picture size. */
  rows: number;
  columns: number;
  frames: number;
  durationMs: number;
  /** `h264` or `hevc`: selects Lossy Image Compression Method. */
  codec: "h264" | "hevc";
  /** Bytes of the encapsulated MP4, for Lossy Image Compression Ratio. */
  encapsulatedBytes: number;
  /** Channels of the audio track multiplexed in the MP4; 0 when there is none. */
  audioChannels: number;
};

/** Frame Increment Pointer value: the tag of Frame Time (0018,1063), as dcmjs writes AT (group << 16 | element). */
const FRAME_TIME_TAG = 0x00181063;
/** Lossy Image Compression Method defined terms (PS3.3 C.7.6.1.1.5.1). */
const METHOD = { h264: "ISO_14496_10", hevc: "ISO_23008_2" } as const;

/** DS value (at most 16 characters, PS3.5 Table 6.2-1) with up to `decimals` decimals, trailing zeros dropped. */
const ds = (n: number, decimals: number): string => String(Number(n.toFixed(decimals))).slice(0, 16);

/** SOP Common, Patient, General Study, Patient Study, General Series, General Equipment (as for photos). */
const identityModules = (context: TPhotoContext): TNaturalDataset => {
  const { patient: p, encounter, series, instance } = context;
  const now = new Date();
  return {
    SpecificCharacterSet: "ISO_IR 192",
    SOPInstanceUID: instance.sopInstanceUid,
    InstanceCreationDate: toDicomDate(now),
    InstanceCreationTime: toDicomTime(now),
    TimezoneOffsetFromUTC: toTimezoneOffset(instance.contentDateTime),
    ...patientModule(p),
    // Consent (SOP Common) and the sensitive-image constraint (Patient): README "Consent".
    ...consentModule(context.consent),
    // No order: Accession Number present and empty (Type 2), no Issuer of Accession Number Sequence.
    ...studyModules(context),
    SeriesInstanceUID: series.seriesInstanceUid,
    SeriesNumber: series.seriesNumber,
    ...(series.description ? { SeriesDescription: series.description } : {}),
    OperatorsName: pn(context.operatorName),
    Manufacturer: context.manufacturer ?? "Encounter Capture",
    ...(encounter.institutionName ? { InstitutionName: encounter.institutionName } : {}),
    // General Acquisition and General Image; Patient Orientation is Type 2C and required (no Image Orientation).
    AcquisitionDateTime: toDicomDateTime(instance.contentDateTime),
    InstanceNumber: instance.instanceNumber,
    PatientOrientation: "",
    ContentDate: toDicomDate(instance.contentDateTime),
    ContentTime: toDicomTime(instance.contentDateTime),
    ImageType: ["ORIGINAL", "PRIMARY"],
  };
};

/** Cine (C.7.6.5) and Multi-frame (C.7.6.6); Frame Time is the mean (variable frame rate keeps its MP4 timing). */
const cineAndMultiFrame = (facts: TVideoFacts): TNaturalDataset => {
  const frameTimeMs = facts.durationMs / Math.max(facts.frames, 1);
  const rate = Math.round(1000 / frameTimeMs);
  return {
    NumberOfFrames: facts.frames,
    FrameIncrementPointer: FRAME_TIME_TAG,
    FrameTime: ds(frameTimeMs, 6),
    CineRate: rate,
    RecommendedDisplayFrameRate: rate,
    ActualFrameDuration: Math.round(frameTimeMs),
    EffectiveDuration: ds(facts.durationMs / 1000, 3),
    // Type 2C: required when the stream multiplexes audio (PS3.3 C.7.6.5). Zero items would be allowed, but
    // dciodvfy wants 1-n, and one item says what the track is: channel 1, mono/stereo, source "ambient room
    // environment" (CID 3000; we do not know whether it is narration).
    ...(facts.audioChannels > 0
      ? {
          MultiplexedAudioChannelsDescriptionCodeSequence: [
            {
              ChannelIdentificationCode: 1,
              ChannelMode: facts.audioChannels === 1 ? "MONO" : "STEREO",
              ChannelSourceSequence: [
                { CodeValue: "109112", CodingSchemeDesignator: "DCM", CodeMeaning: "Ambient room environment" },
              ],
            },
          ],
        }
      : {}),
  };
};

/**
 * @param context - identifiers and times from the capture flow; `instance.anatomicRegion` is required
 * @param iod - which IOD to build
 * @param facts - what the encapsulated stream contains
 * @returns a naturalized dataset for dcmjs, without Pixel Data
 * @throws VideoContextError when the anatomic region is missing; Error when an identifier is too long for its VR
 */
export const buildVideoDataset = (context: TPhotoContext, iod: TVideoIod, facts: TVideoFacts): TNaturalDataset => {
  const region = context.instance.anatomicRegion;
  if (!region) {
    throw new VideoContextError(
      "missing-anatomic-region",
      "a video needs the body site (context.instance.anatomicRegion): Anatomic Region Sequence (0008,2218) is " +
        "required for multi-frame images",
    );
  }
  const { sopClassUid, modality } = VIDEO_IODS[iod];
  const ratio = (facts.rows * facts.columns * 3 * facts.frames) / Math.max(facts.encapsulatedBytes, 1);
  const side = context.instance.imageLaterality;
  return {
    ...identityModules(context),
    SOPClassUID: sopClassUid,
    Modality: modality,
    AnatomicRegionSequence: [codeItem(region)],
    ...cineAndMultiFrame(facts),
    // Image Pixel (C.7.6.3) as PS3.5 §8.2.7/8.2.10 require for H.264 and HEVC Main: 4:2:0, 8 bits, no Pixel Aspect
    // Ratio (square pixels).
    SamplesPerPixel: 3,
    PhotometricInterpretation: "YBR_PARTIAL_420",
    PlanarConfiguration: 0,
    Rows: facts.rows,
    Columns: facts.columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    // Lossy Image Compression: Type 2 in VL Image, 1C in US Image; "01" once lossy, never reset.
    LossyImageCompression: "01",
    LossyImageCompressionRatio: ds(ratio, 2),
    LossyImageCompressionMethod: METHOD[facts.codec],
    ...(iod === "us-multiframe"
      ? // US Image (C.8.5.6) has no Image Laterality and the IOD no Acquisition Context: Laterality carries R/L.
        side === "R" || side === "L"
        ? { Laterality: side }
        : {}
      : // VL Image (C.8.12.1): Image Laterality always sent (see README); Acquisition Context Type 2, zero items.
        { ImageLaterality: side ?? "U", AcquisitionContextSequence: [] }),
  };
};
