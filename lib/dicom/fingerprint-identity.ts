/**
 * A fingerprint of the identity a DICOM object carries (patient and encounter attributes from ADT), stored with the
 * instance when its file is written. When the encounter's identity changes before the file is delivered (merge,
 * MRN or visit change, name correction), the fingerprint of the current identity differs and the forwarder
 * re-stamps the file first (lib/forwarding/restamp-instance.ts).
 */
import crypto from "node:crypto";
import type { TPhotoContext } from "./photo-context";

/** The part of a DICOM context that comes from ADT. */
export type TIdentityContext = Pick<TPhotoContext, "patient" | "encounter">;

/**
 * @param context - patient and encounter as written into the object
 * @returns a short hex digest (SHA-256, 32 hex digits) of every identity attribute, in a fixed order
 */
export const fingerprintIdentity = (context: TIdentityContext): string => {
  const p = context.patient;
  const e = context.encounter;
  const values = [
    p.mrn, p.issuer, p.issuerOid ?? "", p.familyName, p.givenName, p.middleName, p.suffix, p.prefix, p.birthDate, p.sex,
    e.visitNumber, e.visitIssuer, e.institutionName, e.referringPhysician ?? "",
  ];

  return crypto.createHash("sha256").update(JSON.stringify(values)).digest("hex").slice(0, 32);
};
