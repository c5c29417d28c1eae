/**
 * A47 change patient identifier list (PID-3 = the new identifiers, MRG-1 = the old ones), inside the caller's
 * transaction: the MRN of the same Patient row is renamed and the old identifier becomes a PatientAlias (kind
 * "identifier-change"), so late messages under it still find the patient. Studies with images already delivered
 * under the old identifier are listed as IdentityChange rows.
 *
 * MRN unchanged (another identifier changed): demographics only. Old identifier unknown: the patient is written under
 * the new one and the alias recorded. Repeated change: AA, nothing changes. The new identifier belonging to another
 * patient is a merge (A40), not a change: AE 207 at PID^1^3.
 */
import type { TTx } from "../db";
import type { TAdtEvent } from "../hl7/adt-event";
import { Hl7Error } from "../hl7/hl7-error";
import {
  findPatient,
  isOlder,
  NOTE,
  patientData,
  pickPatientKey,
  resolveFacility,
  writePatient,
  type TApplyAdtResult,
  type TApplyContext,
} from "./adt-context";
import { prismaAdtStore } from "./adt-store";
import { foldSearchText } from "./fold-search-text";
import { recordIdentityChanges } from "./record-identity-changes";

/**
 * Apply one identifier change.
 * @param tx - transaction client
 * @param event - validated A47 (MRG-1 not empty)
 * @param context - message id for the alias and IdentityChange rows
 * @throws Hl7Error 207 - the new identifier is another patient's, or the old one now belongs to another patient
 */
export const changePatientIdentifier = async (
  tx: TTx,
  event: TAdtEvent,
  context: TApplyContext,
): Promise<TApplyAdtResult> => {
  const store = prismaAdtStore(tx);
  const facility = await resolveFacility(store, event);
  const newKey = pickPatientKey(event.identifiers, facility);
  const oldKey = pickPatientKey(event.prior.identifiers, facility);
  const found = await findPatient(store, newKey);
  const written = async (notes: string[]): Promise<TApplyAdtResult> => {
    const p = await writePatient(store, event, newKey, found);

    return { patientId: p.id, encounterId: null, applied: true, notes: p.patientUpdated ? notes : [...notes, NOTE.patientOlder] };
  };
  if (newKey.mrn === oldKey.mrn && newKey.issuer === oldKey.issuer) {
    return written([]);
  }
  const old = await findPatient(store, oldKey);
  if (!old) {
    const result = await written([NOTE.priorUnknown]);
    await tx.patientAlias.create({
      data: { ...oldKey, patientId: result.patientId!, kind: "identifier-change", hl7MessageId: context.messageId() },
      select: { id: true },
    });

    return result;
  }
  if (old.viaAlias) {
    if (old.id === found?.id) {
      return { patientId: old.id, encounterId: null, applied: false, notes: [NOTE.alreadyChanged] };
    }
    throw new Hl7Error(207, "MRG^1^1", "MRG-1 prior identifier now belongs to another patient");
  }
  if (found && found.id !== old.id) {
    throw new Hl7Error(207, "PID^1^3", "PID-3 identifier already belongs to another patient (a merge is A40)");
  }
  if (found) {
    // The new identifier is an alias of this very patient (changed back): it becomes the MRN again.
    await tx.patientAlias.delete({ where: { mrn_issuer: newKey }, select: { id: true } });
  }
  const messageId = context.messageId();
  await recordIdentityChanges(tx, {
    studies: { patientId: old.id },
    kind: "identifier-change",
    fromMrn: old.mrn,
    fromIssuer: old.issuer,
    toPatientId: old.id,
    hl7MessageId: messageId,
  });
  const older = isOlder(event.recordedAt, old.lastEventAt);
  const data = older ? { searchText: await renamedSearchText(tx, old.id, newKey.mrn) } : patientData(event, newKey.mrn);
  await tx.patient.update({ where: { id: old.id }, data: { ...data, ...newKey }, select: { id: true } });
  await tx.patientAlias.create({
    data: { ...oldKey, patientId: old.id, kind: "identifier-change", hl7MessageId: messageId },
    select: { id: true },
  });

  return { patientId: old.id, encounterId: null, applied: true, notes: older ? [NOTE.patientOlder] : [] };
};

/** searchText for the stored name under a new MRN (used when the event is too old to replace the name). */
const renamedSearchText = async (tx: TTx, id: string, mrn: string): Promise<string> => {
  const p = await tx.patient.findUniqueOrThrow({
    where: { id },
    select: { familyName: true, givenName: true, middleName: true },
  });

  return foldSearchText([p.familyName, p.givenName, p.middleName, mrn].join(" "));
};
