/**
 * Builds the naturalized dataset (everything except Pixel Data) of an Ultrasound Image (SOP Class
 * 1.2.840.10008.5.1.4.1.1.6.1, IOD PS3.3 A.6, Modality US) for a still exported as JPEG by an ultrasound device.
 * Modules: Patient, General Study, Patient Study, General Series, General Equipment, General Acquisition, General
 * Image, Image Pixel, US Region Calibration (when calibration is known), US Image (C.8.5.6), SOP Common. Identity
 * follows the photo rules (lib/dicom/README.md), so photos, video and ultrasound of one encounter agree.
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
import { codeItem, consentModule, patientModule, pn, studyModules } from "@/lib/dicom/dataset-modules";

/** Ultrasound Image Storage (PS3.4 Annex B; IOD PS3.3 A.6). */
export const US_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.6.1";

/**
 * One calibrated region of the image (an item of Sequence of Ultrasound Regions (0018,6011), PS3.3 C.8.5.5):
 * pixel bounds and the physical size of one pixel in cm (Physical Units 3 = cm, PS3.3 C.8.5.5.1.15).
 */
export type TUsRegion = {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** cm per pixel, horizontally and vertically. */
  deltaX: number;
  deltaY: number;
  /** Region Spatial Format (C.8.5.5.1.1): 1 = 2D (default), 2 = M-mode, 3 = Spectral, 4 = Wave form. */
  spatialFormat?: number;
  /** Region Data Type (C.8.5.5.1.2): 1 = Tissue (default), 2 = Color Flow, 3 = PW Doppler, … */
  dataType?: number;
};

/** What the capture flow knows about an ultrasound still: the photo context, Modality US, and US specifics. */
export type TUltrasoundContext = Omit<TPhotoContext, "series"> & {
  series: Omit<TPhotoContext["series"], "modality"> & { modality: "US" };
  ultrasound?: {
    /** Image Type Value 3 (PS3.3 C.8.5.6.1.1 defined terms, e.g. ABDOMINAL, CARDIAC, VASCULAR); "" when unknown. */
    examType?: string;
    /** Image Type Value 4: the modes as the hexadecimal bit map of C.8.5.6.1.1, e.g. "0001" (2D imaging). */
    modes?: string;
    /** Calibration, when the device reports it; without it the image cannot be measured. */
    regions?: TUsRegion[];
    /** The ultrasound device, for General Equipment; defaults to `context.manufacturer` / "Encounter Capture". */
    deviceManufacturer?: string;
    deviceModelName?: string;
  };
};

/** Image Pixel facts derived from the JPEG that will be encapsulated. */
export type TUsPixelFacts = { rows: number; columns: number; samplesPerPixel: number; photometric: TPhotometric };

/** US Region Calibration module (C.8.5.5): Type 1 attributes of each region. */
const regionItem = (r: TUsRegion): TNaturalDataset => ({
  RegionSpatialFormat: r.spatialFormat ?? 1,
  RegionDataType: r.dataType ?? 1,
  RegionFlags: 0,
  RegionLocationMinX0: r.x0,
  RegionLocationMinY0: r.y0,
  RegionLocationMaxX1: r.x1,
  RegionLocationMaxY1: r.y1,
  PhysicalUnitsXDirection: 3,
  PhysicalUnitsYDirection: 3,
  PhysicalDeltaX: r.deltaX,
  PhysicalDeltaY: r.deltaY,
});

/**
 * Image Type (C.8.5.6.1.1, Type 2 in the US Image module): DERIVED because the pixels are the device's lossy JPEG
 * rendition of its own image, PRIMARY because they are the examination's image; Values 3 and 4 only when known.
 */
const imageType = (us: TUltrasoundContext["ultrasound"]): string[] => {
  const base = ["DERIVED", "PRIMARY"];
  return us?.examType || us?.modes ? [...base, us.examType ?? "", us.modes ?? ""] : base;
};

/**
 * @param context - identifiers, times and ultrasound facts from the capture flow
 * @param pixels - Image Pixel facts of the encapsulated JPEG
 * @param jpegLength - size of the encapsulated JPEG, for Lossy Image Compression Ratio
 * @returns a naturalized dataset for dcmjs, without Pixel Data
 * @throws Error when an identifier is longer than its VR allows
 */
export const buildUsDataset = (
  context: TUltrasoundContext,
  pixels: TUsPixelFacts,
  jpegLength: number,
): TNaturalDataset => {
  const { encounter, series, instance, ultrasound } = context;
  const now = new Date();
  const ratio = (pixels.rows * pixels.columns * pixels.samplesPerPixel) / Math.max(jpegLength, 1);
  const side = instance.imageLaterality;
  const laterality = side === "R" || side === "L" ? side : "";
  return {
    // SOP Common (C.12.1).
    SpecificCharacterSet: "ISO_IR 192",
    SOPClassUID: US_IMAGE_STORAGE,
    SOPInstanceUID: instance.sopInstanceUid,
    InstanceCreationDate: toDicomDate(now),
    InstanceCreationTime: toDicomTime(now),
    TimezoneOffsetFromUTC: toTimezoneOffset(instance.contentDateTime),
    ...patientModule(context.patient),
    // Consent (SOP Common) and the sensitive-image constraint (Patient): README "Consent".
    ...consentModule(context.consent),
    // General Study (C.7.2.1): encounter-based, Accession Number present and empty.
    ...studyModules(context),
    // General Series (C.7.3.1): the US IOD has no Image Laterality, so laterality goes in Laterality (2C): R or L for
    // a paired part, empty when unknown.
    Modality: "US",
    SeriesInstanceUID: series.seriesInstanceUid,
    SeriesNumber: series.seriesNumber,
    ...(series.description ? { SeriesDescription: series.description } : {}),
    Laterality: laterality,
    OperatorsName: pn(context.operatorName),
    // General Equipment (C.7.5.1).
    Manufacturer: ultrasound?.deviceManufacturer ?? context.manufacturer ?? "Encounter Capture",
    ...(ultrasound?.deviceModelName ? { ManufacturerModelName: ultrasound.deviceModelName } : {}),
    ...(encounter.institutionName ? { InstitutionName: encounter.institutionName } : {}),
    // General Acquisition (C.7.10.1) and General Image (C.7.6.1).
    AcquisitionDateTime: toDicomDateTime(instance.contentDateTime),
    InstanceNumber: instance.instanceNumber,
    PatientOrientation: "",
    ContentDate: toDicomDate(instance.contentDateTime),
    ContentTime: toDicomTime(instance.contentDateTime),
    DerivationDescription: "Still exported as JPEG by the ultrasound device",
    // CID 7203 "Image Derivation": the device's JPEG export is lossy.
    DerivationCodeSequence: [{ CodeValue: "113040", CodingSchemeDesignator: "DCM", CodeMeaning: "Lossy Compression" }],
    ...(instance.anatomicRegion ? { AnatomicRegionSequence: [codeItem(instance.anatomicRegion)] } : {}),
    // US Region Calibration (C.8.5.5), only with calibration.
    ...(ultrasound?.regions?.length ? { SequenceOfUltrasoundRegions: ultrasound.regions.map(regionItem) } : {}),
    // US Image (C.8.5.6) and Image Pixel (C.7.6.3): derived from the JPEG itself (PS3.5 §8.2.1).
    ImageType: imageType(ultrasound),
    SamplesPerPixel: pixels.samplesPerPixel,
    PhotometricInterpretation: pixels.photometric,
    ...(pixels.samplesPerPixel > 1 ? { PlanarConfiguration: 0 } : {}),
    Rows: pixels.rows,
    Columns: pixels.columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    LossyImageCompression: "01",
    LossyImageCompressionRatio: ratio.toFixed(2),
    LossyImageCompressionMethod: "ISO_10918_1",
  };
};
