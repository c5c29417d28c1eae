/**
 * Apply a validated ADT event to the worklist tables, inside the caller's transaction (one transaction per message,
 * committed together with the Hl7Message row). Dispatch by kind of event; what each event does is the table in
 * lib/hl7/README.md ("Events"):
 * - visit events A01–A08, A11–A13: apply-visit-event.ts
 * - person events A28/A31: apply-person-event.ts
 * - identity events: A40/A34 merge-patients.ts, A47 change-patient-identifier.ts, A35 change-account-number.ts
 *
 * Keys (dicom-and-ihe.md §9, adt-context.ts): facility PV1-3.4 else MSH-4; MRN = the PID-3 repetition of the
 * facility's mrnAuthority, else type MR, else the first; a PatientAlias (merged or replaced identifier) resolves to
 * its patient; encounter (PV1-19, else PID-18, with CX.4 or the facility code).
 */
import type { TTx } from "../db";
import { isVisitEvent, PERSON_EVENTS, type TAdtEvent } from "../hl7/adt-event";
import type { TApplyAdtResult, TApplyContext } from "./adt-context";
import { applyPersonEvent } from "./apply-person-event";
import { applyVisitEvent } from "./apply-visit-event";
import { changeAccountNumber } from "./change-account-number";
import { changePatientIdentifier } from "./change-patient-identifier";
import { mergePatients } from "./merge-patients";

export type { TApplyAdtResult, TApplyContext } from "./adt-context";

/**
 * Apply one event.
 * @param tx - transaction client
 * @param event - validated ADT event
 * @param context - the id the message will be stored under (referenced by alias and identity-change rows)
 * @throws Hl7Error - a refusal that must roll the transaction back (e.g. 207 visit of another patient, 205 circular
 *   merge)
 */
export const applyAdtEvent = async (tx: TTx, event: TAdtEvent, context: TApplyContext): Promise<TApplyAdtResult> => {
  if (isVisitEvent(event.event)) {
    return applyVisitEvent(tx, event, context);
  }
  if (PERSON_EVENTS.includes(event.event)) {
    return applyPersonEvent(tx, event);
  }
  switch (event.event) {
    case "A47":
      return changePatientIdentifier(tx, event, context);
    case "A35":
      return changeAccountNumber(tx, event, context);
    default:
      return mergePatients(tx, event, context);
  }
};
