import type { TIdentityContext } from "../dicom/fingerprint-identity";
import type { TPhotoContext } from "../dicom/photo-context";

export type TEncounterWithPatient = {
  visitNumber: string;
  visitIssuer: string;
  attendingDoctor: string;
  facility: { name: string; mrnAuthorityOid: string | null; mrnAuthority: string } | null;
  patient: { mrn: string; issuer: string; familyName: string; givenName: string; middleName: string; suffix: string; prefix: string; birthDate: string; sex: string };
};

/**
 * Who and where, from the encounter and its patient (ADT data): the part of a DICOM context that an identity change
 * (merge, MRN or visit change, name correction) can change after capture.
 */
export const toIdentityContext = (encounter: TEncounterWithPatient): TIdentityContext => {
  const p = encounter.patient;
  const facility = encounter.facility;

  return {
    patient: {
      mrn: p.mrn,
      issuer: p.issuer,
      issuerOid: facility && facility.mrnAuthority === p.issuer ? facility.mrnAuthorityOid : null,
      familyName: p.familyName,
      givenName: p.givenName,
      middleName: p.middleName,
      suffix: p.suffix,
      prefix: p.prefix,
      birthDate: p.birthDate,
      sex: p.sex,
    },
    encounter: {
      visitNumber: encounter.visitNumber,
      visitIssuer: encounter.visitIssuer,
      institutionName: facility?.name ?? "",
      referringPhysician: encounter.attendingDoctor,
    },
  };
};

/**
 * Everything a DICOM object needs to say about who, where and what — taken from ADT data and the catalog,
 * never typed by hand.
 */
export const toPhotoContext = (a: {
  encounter: TEncounterWithPatient;
  item: { code: string; scheme: string; meaning: string; modality: string };
  operatorName: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  instanceNumber: number;
  at: Date;
  imageLaterality?: "R" | "L" | "U" | "B";
}): TPhotoContext => {
  return {
    ...toIdentityContext(a.encounter),
    study: {
      studyInstanceUid: a.studyInstanceUid,
      studyDateTime: a.at,
      description: a.item.meaning,
      procedureCode: { code: a.item.code, scheme: a.item.scheme, meaning: a.item.meaning },
    },
    series: {
      seriesInstanceUid: a.seriesInstanceUid,
      seriesNumber: 1,
      modality: a.item.modality === "ES" ? "ES" : "XC",
      description: a.item.meaning,
    },
    instance: {
      sopInstanceUid: a.sopInstanceUid,
      instanceNumber: a.instanceNumber,
      contentDateTime: a.at,
      imageLaterality: a.imageLaterality,
    },
    operatorName: a.operatorName,
  };
};
