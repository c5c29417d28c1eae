/**
 * Builds the naturalized dataset (everything except Pixel Data) of a VL Photographic Image (PS3.3 A.32.4, XC) or
 * VL Endoscopic Image (PS3.3 A.32.1, ES). Attribute sources are tabulated in lib/dicom/README.md.
 */
import type { TNaturalDataset } from "dcmjs";
import type { TPhotometric } from "@/lib/dicom/derive-photometric";
import {
  toDicomDate,
  toDicomDateTime,
  toDicomTime,
  toTimezoneOffset,
} from "@/lib/dicom/format-dicom-values";
import type { TPhotoContext } from "@/lib/dicom/photo-context";
import { VL_ENDOSCOPIC_IMAGE_STORAGE, VL_PHOTOGRAPHIC_IMAGE_STORAGE } from "@/lib/dicom/uids";
import { codeItem, consentModule, patientModule, pn, studyModules } from "@/lib/dicom/dataset-modules";

/** Image Pixel facts derived from the pixels that will be stored, and their colour profile. */
export type TPixelFacts = {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  photometric: TPhotometric;
  /** ICC profile of the stored colour pixels → ICC Profile (0028,2000); absent for greyscale. */
  iccProfile?: Buffer | null;
  /** The profile is our sRGB assumption (the photo had none) → Color Space (0028,2002) `SRGB`. */
  iccAssumed?: boolean;
};

/** ICC Profile module (PS3.3 C.11.15), used by VL Photographic and VL Endoscopic. */
const iccModule = (pixels: TPixelFacts): TNaturalDataset => {
  if (!pixels.iccProfile || pixels.samplesPerPixel !== 3) {
    return {};
  }
  const icc = pixels.iccProfile;
  return {
    ICCProfile: icc.buffer.slice(icc.byteOffset, icc.byteOffset + icc.length),
    ...(pixels.iccAssumed ? { ColorSpace: "SRGB" } : {}),
  };
};

/** Lossy Image Compression (C.8.12.1 Type 2; once "01" never reset) and the ratio/method of our JPEG. */
const compressionModule = (pixels: TPixelFacts, jpegLength: number | null): TNaturalDataset => {
  if (jpegLength === null) {
    return { LossyImageCompression: "00" };
  }
  const ratio = (pixels.rows * pixels.columns * pixels.samplesPerPixel) / Math.max(jpegLength, 1);
  return {
    LossyImageCompression: "01",
    LossyImageCompressionRatio: ratio.toFixed(2),
    LossyImageCompressionMethod: "ISO_10918_1",
  };
};

/** SOP Class per Modality: XC → VL Photographic (A.32.4.3.1), ES → VL Endoscopic (A.32.1.3.1). */
export const SOP_CLASS_BY_MODALITY = { XC: VL_PHOTOGRAPHIC_IMAGE_STORAGE, ES: VL_ENDOSCOPIC_IMAGE_STORAGE } as const;

/**
 * @param context - identifiers and times from the capture flow
 * @param pixels - Image Pixel facts of the stored pixels and their ICC profile
 * @param jpegLength - size of the encapsulated JPEG, for Lossy Image Compression Ratio; null for native pixels from a
 *   lossless source (Lossy Image Compression `00`)
 * @param contentDateTime - when the photo was taken (EXIF DateTimeOriginal when plausible); defaults to
 *   `context.instance.contentDateTime`
 * @returns a naturalized dataset for dcmjs, without Pixel Data
 * @throws Error when an identifier is longer than its VR allows
 */
export const buildPhotoDataset = (
  context: TPhotoContext,
  pixels: TPixelFacts,
  jpegLength: number | null,
  contentDateTime: Date = context.instance.contentDateTime,
): TNaturalDataset => {
  const { encounter, series, instance } = context;
  const now = new Date();
  return {
    // SOP Common (C.12.1): UTF-8 because names come from ADT in any script.
    SpecificCharacterSet: "ISO_IR 192",
    SOPClassUID: SOP_CLASS_BY_MODALITY[series.modality],
    SOPInstanceUID: instance.sopInstanceUid,
    InstanceCreationDate: toDicomDate(now),
    InstanceCreationTime: toDicomTime(now),
    TimezoneOffsetFromUTC: toTimezoneOffset(contentDateTime),
    ...patientModule(context.patient),
    // Consent (SOP Common) and the sensitive-image constraint (Patient): README "Consent".
    ...consentModule(context.consent),
    // General Study (C.7.2.1): no order, so Accession Number is present and empty (Type 2) and no issuer sequence.
    ...studyModules(context),
    // General Series (C.7.3.1).
    Modality: series.modality,
    SeriesInstanceUID: series.seriesInstanceUid,
    SeriesNumber: series.seriesNumber,
    ...(series.description ? { SeriesDescription: series.description } : {}),
    OperatorsName: pn(context.operatorName),
    // General Equipment (C.7.5.1); Institution Name is Type 3, left out rather than sent empty.
    Manufacturer: context.manufacturer ?? "Encounter Capture",
    ...(encounter.institutionName ? { InstitutionName: encounter.institutionName } : {}),
    // General Acquisition (C.7.10.1) and General Image (C.7.6.1); Patient Orientation is 2C, required here.
    AcquisitionDateTime: toDicomDateTime(contentDateTime),
    InstanceNumber: instance.instanceNumber,
    PatientOrientation: "",
    ContentDate: toDicomDate(contentDateTime),
    ContentTime: toDicomTime(contentDateTime),
    // VL Image (C.8.12.1).
    ImageType: ["ORIGINAL", "PRIMARY"],
    ImageLaterality: instance.imageLaterality ?? "U",
    // General Anatomy (C.7.6.1 / VL Image): Type 2 for VL Endoscopic, Type 1C for video; sent whenever chosen.
    ...(instance.anatomicRegion ? { AnatomicRegionSequence: [codeItem(instance.anatomicRegion)] } : {}),
    ...compressionModule(pixels, jpegLength),
    // Image Pixel (C.7.6.3), derived from the JPEG itself (PS3.5 §8.2.1).
    SamplesPerPixel: pixels.samplesPerPixel,
    PhotometricInterpretation: pixels.photometric,
    ...(pixels.samplesPerPixel > 1 ? { PlanarConfiguration: 0 } : {}),
    Rows: pixels.rows,
    Columns: pixels.columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    ...iccModule(pixels),
    // Acquisition Context (C.7.6.14): Type 2, present with zero items.
    AcquisitionContextSequence: [],
  };
};
