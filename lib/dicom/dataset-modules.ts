/**
 * Pieces every dataset builder writes the same way (photo, ultrasound, video): File Meta Information, value fitting,
 * Person Name, Code Sequence items, and the Patient module from ADT data.
 */
import type { TNaturalDataset } from "dcmjs";
import { toDicomDate, toDicomTime, toPersonName } from "@/lib/dicom/format-dicom-values";
import type { TCodedConcept, TPhotoContext } from "@/lib/dicom/photo-context";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "@/lib/dicom/uids";

/**
 * Refuses identifiers that dcmjs would otherwise silently truncate (PS3.5 Table 6.2-1 lengths).
 * @param name - what the value is, for the message
 * @param value - the value
 * @param max - the VR's maximum length
 */
export const fit = (name: string, value: string, max: number): string => {
  if (value.length > max) {
    throw new Error(`${name} is ${value.length} characters long; DICOM allows at most ${max}`);
  }
  return value;
};

/** A PN value for dcmjs: the alphabetic group, or empty. */
export const pn = (value: string | undefined): unknown => (value ? [{ Alphabetic: value }] : "");

/** Code Sequence Macro item (PS3.3 Table 8.8-1): Code Value is SH (16); longer codes go in Long Code Value. */
export const codeItem = (code: TCodedConcept): TNaturalDataset => ({
  ...(code.code.length > 16 ? { LongCodeValue: code.code } : { CodeValue: code.code }),
  CodingSchemeDesignator: fit("Coding Scheme Designator", code.scheme, 16),
  CodeMeaning: code.meaning,
});

/** Patient module (C.7.1.1) from ADT data; Issuer of Patient ID Qualifiers only with an OID (Type "ISO"). */
export const patientModule = (p: TPhotoContext["patient"]): TNaturalDataset => ({
  PatientName: pn(toPersonName(p)),
  PatientID: fit("Patient ID (MRN)", p.mrn, 64),
  IssuerOfPatientID: fit("Issuer of Patient ID", p.issuer, 64),
  ...(p.issuerOid
    ? { IssuerOfPatientIDQualifiersSequence: [{ UniversalEntityID: p.issuerOid, UniversalEntityIDType: "ISO" }] }
    : {}),
  PatientBirthDate: /^\d{8}$/.test(p.birthDate) ? p.birthDate : "",
  PatientSex: ["M", "F", "O"].includes(p.sex) ? p.sex : "",
});

/**
 * File Meta Information (PS3.10 §7.1) of an object we write; the group length is added by the writer.
 * @param sopClassUid - Media Storage SOP Class UID
 * @param sopInstanceUid - Media Storage SOP Instance UID
 * @param transferSyntaxUid - the transfer syntax of the dataset
 */
export const fileMetaInformation = (sopClassUid: string, sopInstanceUid: string, transferSyntaxUid: string): TNaturalDataset => ({
  FileMetaInformationVersion: new Uint8Array([0x00, 0x01]).buffer,
  MediaStorageSOPClassUID: sopClassUid,
  MediaStorageSOPInstanceUID: sopInstanceUid,
  TransferSyntaxUID: transferSyntaxUid,
  ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
  ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
});

/**
 * General Study (C.7.2.1) and Patient Study (C.7.2.2) of an encounter-based capture: no order, so Accession Number
 * is present and empty (Type 2) with no issuer sequence; the visit is the Admission ID (a single issuer item).
 * @param context - study and encounter facts from the capture flow
 */
export const studyModules = ({ study, encounter }: Pick<TPhotoContext, "study" | "encounter">): TNaturalDataset => ({
  StudyInstanceUID: study.studyInstanceUid,
  StudyDate: toDicomDate(study.studyDateTime),
  StudyTime: toDicomTime(study.studyDateTime),
  ReferringPhysicianName: pn(encounter.referringPhysician),
  StudyID: fit("Study ID", study.studyId ?? "", 16),
  AccessionNumber: "",
  StudyDescription: study.description,
  ProcedureCodeSequence: [codeItem(study.procedureCode)],
  AdmissionID: fit("Admission ID (visit number)", encounter.visitNumber, 64),
  IssuerOfAdmissionIDSequence: [{ LocalNamespaceEntityID: encounter.visitIssuer }],
});

/** Confidentiality Constraint on Patient Data Description (0040,3001) of a capture flagged "sensitive image". */
export const SENSITIVE_IMAGE_CONSTRAINT = "SENSITIVE IMAGE - restricted viewing";

/**
 * The patient's consent and the sensitive flag (lib/dicom/README.md, "Consent"):
 * - Consent for Clinical Trial Use Sequence (0012,0083) of the Clinical Trial Study module (C.7.2.3, a "U" module of
 *   every IOD we write, Type 3 there), one item per use, with the module's Type 2 Clinical Trial Time Point ID
 *   (0012,0050) present and empty (no trial): Consent for Distribution Flag (0012,0085) YES/NO and, when YES,
 *   Distribution Type (0012,0084) (Type 1C):
 *   clinical → NO; teaching → YES RESTRICTED_REUSE; publication → YES RESTRICTED_REUSE + YES PUBLIC_RELEASE;
 *   paper → NO (the form's scope is not known here: nothing may be reused until someone reads the form);
 *   not recorded ("") → no sequence.
 * - sensitive → Confidentiality Constraint on Patient Data Description (0040,3001), Patient module (C.7.1.1,
 *   Type 3).
 * @param consent - the capture's consent; undefined or use "" = not recorded
 */
export const consentModule = (consent: TPhotoContext["consent"]): TNaturalDataset => {
  if (!consent) {
    return {};
  }
  const yes = (type: "RESTRICTED_REUSE" | "PUBLIC_RELEASE"): TNaturalDataset => ({ ConsentForDistributionFlag: "YES", DistributionType: type });
  const items: Record<string, TNaturalDataset[]> = {
    clinical: [{ ConsentForDistributionFlag: "NO" }],
    paper: [{ ConsentForDistributionFlag: "NO" }],
    teaching: [yes("RESTRICTED_REUSE")],
    publication: [yes("RESTRICTED_REUSE"), yes("PUBLIC_RELEASE")],
  };
  return {
    ...(consent.use ? { ClinicalTrialTimePointID: "", ConsentForClinicalTrialUseSequence: items[consent.use] } : {}),
    ...(consent.sensitive ? { ConfidentialityConstraintOnPatientDataDescription: SENSITIVE_IMAGE_CONSTRAINT } : {}),
  };
};
