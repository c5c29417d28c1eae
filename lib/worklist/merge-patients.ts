/**
 * A40 merge patient / A34 merge patient ID only (PID-3 = survivor, MRG-1 = prior identifiers), inside the caller's
 * transaction: the prior patient's encounters, captured studies and aliases move to the survivor, the prior Patient
 * row is deleted and its identifier becomes a PatientAlias of the survivor, so a later message or search by the old
 * MRN finds the survivor. Studies with images already delivered under the old identity are listed as
 * IdentityChange rows (kind "merge") before they move.
 *
 * Refused: MRG-1 = PID-3 (circular, AE 205 at MRG^1^1, dcm4chee-arc-light#1086); MRG-1 already merged into a
 * different patient, or PID-3 an alias of the prior patient (inverse merge): AE 207. Repeated merge (MRG-1 is
 * already an alias of the survivor): AA, nothing changes. Unknown prior: the survivor is written and the alias
 * recorded, so late messages under the old identifier still land on the survivor.
 */
import type { TTx } from "../db";
import type { TAdtEvent } from "../hl7/adt-event";
import { Hl7Error } from "../hl7/hl7-error";
import {
  findPatient,
  NOTE,
  pickPatientKey,
  resolveFacility,
  writePatient,
  type TApplyAdtResult,
  type TApplyContext,
} from "./adt-context";
import { prismaAdtStore } from "./adt-store";
import { recordIdentityChanges } from "./record-identity-changes";

/**
 * Apply one merge.
 * @param tx - transaction client
 * @param event - validated A40/A34 (MRG-1 not empty)
 * @param context - message id for the alias and IdentityChange rows
 * @throws Hl7Error 205 (circular) / 207 (conflicting earlier merge)
 */
export const mergePatients = async (tx: TTx, event: TAdtEvent, context: TApplyContext): Promise<TApplyAdtResult> => {
  const store = prismaAdtStore(tx);
  const facility = await resolveFacility(store, event);
  const survivorKey = pickPatientKey(event.identifiers, facility);
  const priorKey = pickPatientKey(event.prior.identifiers, facility);
  if (survivorKey.mrn === priorKey.mrn && survivorKey.issuer === priorKey.issuer) {
    throw new Hl7Error(205, "MRG^1^1", "MRG-1 prior patient identifier equals PID-3 (circular merge)");
  }
  const prior = await findPatient(store, priorKey);
  const found = await findPatient(store, survivorKey);
  if (prior?.viaAlias) {
    if (prior.id === found?.id) {
      return { patientId: found.id, encounterId: null, applied: false, notes: [NOTE.alreadyMerged] };
    }
    throw new Hl7Error(207, "MRG^1^1", "MRG-1 prior patient identifier was already merged into another patient");
  }
  if (prior && prior.id === found?.id) {
    throw new Hl7Error(207, "PID^1^3", "PID-3 was merged into the MRG-1 patient earlier (inverse merge)");
  }
  const survivor = await writePatient(store, event, survivorKey, found);
  const notes: string[] = survivor.patientUpdated ? [] : [NOTE.patientOlder];
  const alias = { ...priorKey, patientId: survivor.id, kind: "merge", hl7MessageId: context.messageId() };
  if (!prior) {
    await tx.patientAlias.create({ data: alias, select: { id: true } });

    return { patientId: survivor.id, encounterId: null, applied: true, notes: [...notes, NOTE.priorUnknown] };
  }
  await recordIdentityChanges(tx, {
    studies: { patientId: prior.id },
    kind: "merge",
    fromMrn: prior.mrn,
    fromIssuer: prior.issuer,
    toPatientId: survivor.id,
    hl7MessageId: alias.hl7MessageId,
  });
  const move = { where: { patientId: prior.id }, data: { patientId: survivor.id } };
  await tx.encounter.updateMany(move);
  await tx.study.updateMany(move);
  await tx.patientAlias.updateMany(move);
  await tx.identityChange.updateMany({ where: { toPatientId: prior.id }, data: { toPatientId: survivor.id } });
  await tx.patient.delete({ where: { id: prior.id }, select: { id: true } });
  await tx.patientAlias.create({ data: { ...alias, priorPatientId: prior.id }, select: { id: true } });

  return { patientId: survivor.id, encounterId: null, applied: true, notes };
};
