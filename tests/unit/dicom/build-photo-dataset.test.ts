import { describe, expect, test } from "vitest";
import { buildPhotoDataset } from "@/lib/dicom/build-photo-dataset";
import { toDicomDateTime, toPersonName, toTimezoneOffset } from "@/lib/dicom/format-dicom-values";
import { makeContext } from "./photo-fixtures";

const PIXELS = { rows: 48, columns: 64, samplesPerPixel: 3, photometric: "YBR_FULL_422" as const };

describe("buildPhotoDataset", () => {
  test("optional context: no qualifiers sequence without an OID, empty type 2 values, defaults", () => {
    const ctx = makeContext({ description: undefined });
    ctx.patient.issuerOid = null;
    ctx.patient.birthDate = "";
    ctx.patient.sex = "X";
    ctx.encounter.referringPhysician = undefined;
    ctx.study.studyId = undefined;
    ctx.instance.imageLaterality = undefined;
    ctx.encounter.institutionName = "";
    const ds = buildPhotoDataset(ctx, PIXELS, 1000);
    expect(ds).not.toHaveProperty("IssuerOfPatientIDQualifiersSequence");
    expect(ds).not.toHaveProperty("SeriesDescription");
    expect(ds).not.toHaveProperty("InstitutionName");
    expect(ds).not.toHaveProperty("IssuerOfAccessionNumberSequence");
    expect(ds).toMatchObject({
      PatientBirthDate: "",
      PatientSex: "",
      ReferringPhysicianName: "",
      StudyID: "",
      AccessionNumber: "",
      ImageLaterality: "U",
      Manufacturer: "Encounter Capture",
      LossyImageCompressionRatio: "9.22",
    });
  });

  test("SOP Class follows the modality; greyscale has no Planar Configuration", () => {
    const grey = { ...PIXELS, samplesPerPixel: 1, photometric: "MONOCHROME2" as const };
    const es = buildPhotoDataset(makeContext({ modality: "ES" }), grey, 10);
    expect(es.SOPClassUID).toBe("1.2.840.10008.5.1.4.1.1.77.1.1");
    expect(es).not.toHaveProperty("PlanarConfiguration");
  });

  test("codes longer than 16 characters go to Long Code Value (PS3.3 Table 8.8-1)", () => {
    const ctx = makeContext();
    ctx.study.procedureCode = { code: "DERMATOLOGY-PHOTO-01", scheme: "99ENCCAP", meaning: "Photo" };
    const item = (buildPhotoDataset(ctx, PIXELS, 10).ProcedureCodeSequence as Array<Record<string, unknown>>)[0];
    expect(item).toEqual({
      LongCodeValue: "DERMATOLOGY-PHOTO-01",
      CodingSchemeDesignator: "99ENCCAP",
      CodeMeaning: "Photo",
    });
  });

  test("identifiers longer than their VR allows are refused, not truncated", () => {
    const ctx = makeContext();
    ctx.patient.mrn = "9".repeat(65);
    expect(() => buildPhotoDataset(ctx, PIXELS, 10)).toThrow(
      /Patient ID \(MRN\) is 65 characters long; DICOM allows at most 64/,
    );
    const ctx2 = makeContext();
    ctx2.study.studyId = "X".repeat(17);
    expect(() => buildPhotoDataset(ctx2, PIXELS, 10)).toThrow(/Study ID/);
  });
});

describe("buildPhotoDataset: compression, ICC and content time", () => {
  const icc = Buffer.from("fake-icc-profile");

  test("native pixels from a lossless source: Lossy Image Compression 00, no ratio or method", () => {
    const ds = buildPhotoDataset(makeContext(), { ...PIXELS, photometric: "RGB" }, null);
    expect(ds.LossyImageCompression).toBe("00");
    expect(ds).not.toHaveProperty("LossyImageCompressionRatio");
    expect(ds).not.toHaveProperty("LossyImageCompressionMethod");
  });

  test("ICC Profile for colour only; Color Space SRGB only when sRGB is our assumption", () => {
    const own = buildPhotoDataset(makeContext(), { ...PIXELS, iccProfile: icc, iccAssumed: false }, 10);
    expect(Buffer.from(own.ICCProfile as ArrayBuffer).equals(icc)).toBe(true);
    expect(own).not.toHaveProperty("ColorSpace");
    const assumed = buildPhotoDataset(makeContext(), { ...PIXELS, iccProfile: icc, iccAssumed: true }, 10);
    expect(assumed.ColorSpace).toBe("SRGB");
    const grey = { ...PIXELS, samplesPerPixel: 1, photometric: "MONOCHROME2" as const, iccProfile: icc };
    expect(buildPhotoDataset(makeContext(), grey, 10)).not.toHaveProperty("ICCProfile");
  });

  test("content date-time: Content Date/Time, Acquisition DateTime and the offset follow it; Study Date does not", () => {
    const taken = new Date(2025, 2, 13, 22, 5, 7, 125);
    const ds = buildPhotoDataset(makeContext(), PIXELS, 10, taken);
    expect([ds.ContentDate, ds.ContentTime, ds.AcquisitionDateTime]).toEqual([
      "20250313",
      "220507.125",
      "20250313220507.125",
    ]);
    expect(ds.StudyDate).toBe("20250314");
    expect(ds.TimezoneOffsetFromUTC).toBe(toTimezoneOffset(taken));
  });
});

describe("value formatting", () => {
  test("PN: five components in DICOM order, trailing empties trimmed, delimiters neutralised", () => {
    const name = { familyName: "Doe", givenName: "Jane", middleName: "Q", prefix: "Dr", suffix: "III" };
    expect(toPersonName(name)).toBe("Doe^Jane^Q^Dr^III");
    expect(toPersonName({ ...name, prefix: "", suffix: "" })).toBe("Doe^Jane^Q");
    expect(toPersonName({ ...name, middleName: "", suffix: "" })).toBe("Doe^Jane^^Dr");
    const only = (familyName: string): string =>
      toPersonName({ familyName, givenName: "", middleName: "", prefix: "", suffix: "" });
    expect(only("O^Brien\\x=y")).toBe("O Brien x y");
    expect(toPersonName({ familyName: "", givenName: "", middleName: "", prefix: "", suffix: "" })).toBe("");
  });

  test("DT and timezone offset", () => {
    expect(toDicomDateTime(new Date(2024, 0, 2, 3, 4, 5, 6))).toBe("20240102030405.006");
    expect(toTimezoneOffset(new Date())).toMatch(/^[+-]\d{4}$/);
  });
});
