/**
 * Facilities (the HL7 facility code of PV1-3.4 / MSH-4) and which PID-3 assigning authority is their MRN.
 */
import type { TDb } from "../db";
import { AppError } from "../errors";

export type TFacilityInput = {
  /** HL7 facility code (PV1-3.4 / MSH-4 HD.1), the key. */
  code: string;
  /** Institution Name written into the DICOM objects. */
  name: string;
  /** PID-3.4 assigning authority whose identifiers are this facility's MRNs. */
  mrnAuthority: string;
  /** ISO OID of that authority ("" = none), written to Issuer of Patient ID Qualifiers Sequence. */
  mrnAuthorityOid: string;
};

const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

/**
 * Create a facility before its first ADT message (so the MRN authority is right from the start), or change one.
 * Changing the MRN authority of a facility that already has patients changes which PID-3 repetition later
 * messages are keyed on; the result says how many patients carry the previous authority, so the admin sees it.
 * @param db - database client
 * @param input - code, name, MRN authority, authority OID
 * @returns whether it was created, and the number of patients under the previous authority when it changed
 */
export const saveFacility = async (
  db: TDb,
  input: TFacilityInput,
): Promise<{ created: boolean; patientsUnderPreviousAuthority: number }> => {
  const code = input.code.trim();
  const name = input.name.trim() || code;
  const mrnAuthority = input.mrnAuthority.trim();
  const oid = input.mrnAuthorityOid.trim();
  if (!code || code.length > 64) {
    throw new AppError("bad_request", "facility code is required (PV1-3.4 / MSH-4, at most 64 characters)");
  }
  if (!mrnAuthority || mrnAuthority.length > 64) {
    throw new AppError("bad_request", "MRN authority is required (PID-3.4, at most 64 characters)");
  }
  if (name.length > 64) {
    throw new AppError("bad_request", "name is at most 64 characters (DICOM Institution Name)");
  }
  if (oid && (!OID.test(oid) || oid.length > 64)) {
    throw new AppError("bad_request", "authority OID must be an ISO OID such as 2.16.840.1.113883.3.72");
  }
  const existing = await db.facility.findUnique({ where: { code } });
  const data = { name, mrnAuthority, mrnAuthorityOid: oid || null };
  if (!existing) {
    await db.facility.create({ data: { code, ...data } });

    return { created: true, patientsUnderPreviousAuthority: 0 };
  }
  await db.facility.update({ where: { code }, data });
  const changed = existing.mrnAuthority !== mrnAuthority;

  return {
    created: false,
    patientsUnderPreviousAuthority: changed ? await db.patient.count({ where: { issuer: existing.mrnAuthority } }) : 0,
  };
};
