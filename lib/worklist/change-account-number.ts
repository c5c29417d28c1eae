/**
 * A35 merge/change account number (PID-18 = the new account, MRG-3 = the old one), inside the caller's
 * transaction. Only encounters keyed by the account number (PV1-19 was empty, PID-18 served as the visit number)
 * carry it here: such an encounter is renumbered; images already delivered with the old Admission ID are listed as
 * IdentityChange rows (kind "visit-change"). Demographics in PID are applied like A31.
 *
 * Old account without an encounter here: AA, nothing renumbered. New account already an encounter of its own: AE 207
 * at PID^1^18 (merging two visits is not automated). Old account an encounter of another patient: AE 207 at MRG^1^3.
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
 * Apply one account change.
 * @param tx - transaction client
 * @param event - validated A35 (MRG-3 not empty)
 * @param context - message id for IdentityChange rows
 * @throws Hl7Error 101 (PID-18 empty) / 207 (conflicting visits)
 */
export const changeAccountNumber = async (
  tx: TTx,
  event: TAdtEvent,
  context: TApplyContext,
): Promise<TApplyAdtResult> => {
  if (event.accountNumber.id === "") {
    throw new Hl7Error(101, "PID^1^18", "PID-18 patient account number is empty");
  }
  const store = prismaAdtStore(tx);
  const facility = await resolveFacility(store, event);
  const key = pickPatientKey(event.identifiers, facility);
  const patient = await writePatient(store, event, key, await findPatient(store, key));
  const notes: string[] = patient.patientUpdated ? [] : [NOTE.patientOlder];
  const toKey = (cx: { id: string; authority: string }) => ({
    visitNumber: cx.id,
    visitIssuer: cx.authority || facility.code,
  });
  const oldKey = toKey(event.prior.accountNumber);
  const newKey = toKey(event.accountNumber);
  if (oldKey.visitNumber === newKey.visitNumber && oldKey.visitIssuer === newKey.visitIssuer) {
    return { patientId: patient.id, encounterId: null, applied: patient.patientUpdated, notes: [...notes, NOTE.alreadyChanged] };
  }
  const rows = await tx.encounter.findMany({
    where: { OR: [oldKey, newKey] },
    select: { id: true, patientId: true, visitNumber: true, visitIssuer: true },
  });
  const old = rows.find((e) => e.visitNumber === oldKey.visitNumber && e.visitIssuer === oldKey.visitIssuer);
  const taken = rows.find((e) => e !== old);
  if (!old) {
    return { patientId: patient.id, encounterId: taken?.id ?? null, applied: patient.patientUpdated, notes: [...notes, NOTE.priorVisitUnknown] };
  }
  if (old.patientId !== patient.id) {
    throw new Hl7Error(207, "MRG^1^3", "MRG-3 prior account number is a visit of another patient");
  }
  if (taken) {
    throw new Hl7Error(207, "PID^1^18", "PID-18 account number already has a visit of its own; both kept");
  }
  await recordIdentityChanges(tx, {
    studies: { encounterId: old.id },
    kind: "visit-change",
    fromMrn: patient.mrn,
    fromIssuer: patient.issuer,
    fromVisitNumber: old.visitNumber,
    toPatientId: patient.id,
    hl7MessageId: context.messageId(),
  });
  await tx.encounter.update({ where: { id: old.id }, data: newKey, select: { id: true } });

  return { patientId: patient.id, encounterId: old.id, applied: true, notes };
};
