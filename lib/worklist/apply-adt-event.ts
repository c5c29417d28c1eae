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
 *
 * Two entry points, one logic: `applyAdtEvent(tx, …)` runs any event on a Prisma interactive transaction;
 * `applyAdtEventOnStore(store, …)` runs the events of the hot path (`isStoreEvent`: visit events other than A06/A07,
 * person events) on any TAdtStore, e.g. the driver-level store of sql-adt-store.ts.
 */
import type { TTx } from "../db";
import { isVisitEvent, PERSON_EVENTS, type TAdtEvent } from "../hl7/adt-event";
import type { TApplyAdtResult, TApplyContext } from "./adt-context";
import { prismaAdtStore, type TAdtStore } from "./adt-store";
import { applyPersonEvent } from "./apply-person-event";
import { applyVisitEvent, mayRenumberVisit } from "./apply-visit-event";
import { changeAccountNumber } from "./change-account-number";
import { changePatientIdentifier } from "./change-patient-identifier";
import { mergePatients } from "./merge-patients";
import { recordIdentityChanges } from "./record-identity-changes";

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
  const store = prismaAdtStore(tx);
  if (isVisitEvent(event.event)) {
    return applyVisitEvent(store, event, context, {
      recordVisitChange: async (change) => {
        await recordIdentityChanges(tx, {
          studies: { encounterId: change.encounterId },
          kind: "visit-change",
          fromMrn: change.fromMrn,
          fromIssuer: change.fromIssuer,
          fromVisitNumber: change.fromVisitNumber,
          toPatientId: change.toPatientId,
          hl7MessageId: context.messageId(),
        });
      },
    });
  }
  if (PERSON_EVENTS.includes(event.event)) {
    return applyPersonEvent(store, event);
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

/** Whether an event can be applied through any TAdtStore (it touches only Facility, Patient, Encounter). */
export const isStoreEvent = (event: TAdtEvent): boolean =>
  (isVisitEvent(event.event) && !mayRenumberVisit(event)) || PERSON_EVENTS.includes(event.event);

/**
 * Apply an event of the hot path (isStoreEvent) through a store, inside the store's transaction.
 * @param store - the transaction's store
 * @param event - validated event for which isStoreEvent is true
 * @param context - the id the message will be stored under
 * @throws Hl7Error - a refusal that must roll the transaction back (207 visit of another patient)
 */
export const applyAdtEventOnStore = async (
  store: TAdtStore,
  event: TAdtEvent,
  context: TApplyContext,
): Promise<TApplyAdtResult> => {
  if (!isStoreEvent(event)) {
    throw new Error(`ADT^${event.event} needs the Prisma transaction`);
  }

  return isVisitEvent(event.event) ? applyVisitEvent(store, event, context) : applyPersonEvent(store, event);
};
