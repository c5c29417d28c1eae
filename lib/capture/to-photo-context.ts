import type { TPhotoContext } from "../dicom/photo-context";

type TEncounterWithPatient = {
  visitNumber: string;
  visitIssuer: string;
  attendingDoctor: string;
  facility: { name: string; mrnAuthorityOid: string | null; mrnAuthority: string } | null;
  patient: { mrn: string; issuer: string; familyName: string; givenName: string; middleName: string; suffix: string; prefix: string; birthDate: string; sex: string };
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
  const p = a.encounter.patient;
  const facility = a.encounter.facility;

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
      visitNumber: a.encounter.visitNumber,
      visitIssuer: a.encounter.visitIssuer,
      institutionName: facility?.name ?? "",
      referringPhysician: a.encounter.attendingDoctor,
    },
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
