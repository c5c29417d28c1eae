/**
 * A28 add person / A31 update person → Patient only (no encounter), inside the caller's transaction. An event older
 * than the patient's lastEventAt leaves the demographics alone (MSA-3 says so).
 */
import type { TAdtEvent } from "../hl7/adt-event";
import {
  findPatient,
  NOTE,
  pickPatientKey,
  resolveFacility,
  writePatient,
  type TApplyAdtResult,
} from "./adt-context";
import type { TAdtStore } from "./adt-store";

/**
 * Apply one person event.
 * @param store - the transaction's store
 * @param event - validated A28/A31
 */
export const applyPersonEvent = async (store: TAdtStore, event: TAdtEvent): Promise<TApplyAdtResult> => {
  const facility = await resolveFacility(store, event);
  const key = pickPatientKey(event.identifiers, facility);
  const patient = await writePatient(store, event, key, await findPatient(store, key));

  return {
    patientId: patient.id,
    encounterId: null,
    applied: patient.patientUpdated,
    notes: patient.patientUpdated ? [] : [NOTE.patientOlder],
  };
};
