/**
 * What the capture flow knows about a photo when it asks for a DICOM object: identifiers from the ADT-fed worklist
 * (PID, PV1), the study/series/instance UIDs it minted, and the signed-in operator. See README.md for the mapping.
 */
import type { TConsent } from "../capture/consent";

/** A coded concept (Code Sequence Macro, PS3.3 Table 8.8-1), e.g. SNOMED CT "SCT". */
export type TCodedConcept = { code: string; scheme: string; meaning: string };

export type TPhotoContext = {
  patient: {
    /** PID-3.1 → Patient ID (0010,0020). */
    mrn: string;
    /** PID-3.4 namespace → Issuer of Patient ID (0010,0021). */
    issuer: string;
    /** PID-3.4 universal id (an OID) → Issuer of Patient ID Qualifiers Sequence (0010,0024). */
    issuerOid?: string | null;
    familyName: string;
    givenName: string;
    middleName: string;
    suffix: string;
    prefix: string;
    /** YYYYMMDD or "". */
    birthDate: string;
    /** M, F, O or "". */
    sex: string;
  };
  encounter: {
    /** PV1-19 (else PID-18) → Admission ID (0038,0010). */
    visitNumber: string;
    /** → Local Namespace Entity ID in Issuer of Admission ID Sequence (0038,0014). */
    visitIssuer: string;
    institutionName: string;
    /** DICOM PN, e.g. "Attending^Anna". */
    referringPhysician?: string;
  };
  study: {
    studyInstanceUid: string;
    studyDateTime: Date;
    description: string;
    procedureCode: { code: string; scheme: string; meaning: string };
    studyId?: string;
  };
  series: { seriesInstanceUid: string; seriesNumber: number; modality: "XC" | "ES"; description?: string };
  instance: {
    sopInstanceUid: string;
    instanceNumber: number;
    /** When the app received the photo; used as Content / Acquisition time unless EXIF gives a plausible one. */
    contentDateTime: Date;
    /**
     * Use EXIF DateTimeOriginal (+ OffsetTimeOriginal) for Content Date/Time and Acquisition DateTime when it is
     * plausible (default true); false when the device clock is not trusted. Rules: resolve-content-date-time.ts.
     */
    preferExifDateTime?: boolean;
    imageLaterality?: "R" | "L" | "U" | "B";
    /** Body site (SNOMED CT, e.g. from CID 4028/4040) → Anatomic Region Sequence (0008,2218); required for video. */
    anatomicRegion?: TCodedConcept;
  };
  /** DICOM PN, e.g. "Clinician^Derm". */
  operatorName: string;
  /**
   * The patient's consent for these images and the "sensitive image" flag (lib/capture/consent.ts); written by
   * consentModule (dataset-modules.ts). Absent or use "" = not recorded (API clients that do not send it).
   */
  consent?: { use: TConsent | ""; sensitive: boolean };
  /** Defaults to "Encounter Capture". */
  manufacturer?: string;
};
