/**
 * Visit events (A01 A02 A03 A04 A05 A06 A07 A08 A11 A12 A13) → Patient + Encounter, inside the caller's
 * transaction. Effects per event: lib/hl7/README.md, "Events".
 *
 * Statements for an update of a known patient and visit: facility, patient (with aliases), encounter, patient
 * update, encounter update; the location mapping is read only when the point of care or facility changes (an admin
 * mapping edit reaches existing encounters through remapEncounterDepartments).
 *
 * Out of order (EVN-2, else MSH-7): an event older than the encounter's lastEventAt leaves the encounter alone; one
 * older than the patient's lastEventAt leaves the demographics alone. Cancels (A11/A12/A13) never create rows and
 * never touch demographics (senders often build them from the cancelled event's data).
 */
import { CANCEL_EVENTS, type TAdtEvent } from "../hl7/adt-event";
import { Hl7Error } from "../hl7/hl7-error";
import {
  clean,
  field,
  findPatient,
  isOlder,
  NOTE,
  pickPatientKey,
  resolveDepartment,
  resolveFacility,
  toPersonName,
  writePatient,
  type TApplyAdtResult,
  type TApplyContext,
  type TFacility,
} from "./adt-context";
import type { TAdtStore, TEncounterWrite, TStoredEncounter, TVisitKey } from "./adt-store";

type TLocation = TAdtEvent["location"];
type TExisting = TStoredEncounter;

/**
 * What a visit event needs besides the store: listing delivered images of a renumbered visit (A06/A07 with another
 * prior visit number; only the Prisma path offers it: isStoreEvent in apply-adt-event.ts).
 */
export type TVisitEventOptions = {
  recordVisitChange?: (change: {
    encounterId: string;
    fromMrn: string;
    fromIssuer: string;
    fromVisitNumber: string;
    toPatientId: string;
  }) => Promise<void>;
};

/** Whether an event may renumber a visit (A06/A07): it needs recordVisitChange. */
export const mayRenumberVisit = (event: TAdtEvent): boolean => event.event === "A06" || event.event === "A07";

const isSent = (loc: TLocation): boolean => [loc.pointOfCare, loc.room, loc.bed].some((v) => v !== "");

/** A06/A07: the visit key before the change (MRG-5 when PV1-19 is the key, MRG-3 when PID-18 is), if different. */
const priorVisitKey = (event: TAdtEvent, fromPv1: boolean, facility: TFacility, current: TVisitKey) => {
  if (!mayRenumberVisit(event)) {
    return undefined;
  }
  const prior = fromPv1 ? event.prior.visitNumber : event.prior.accountNumber;
  const key = { visitNumber: prior.id, visitIssuer: prior.authority || facility.code };
  const same = key.visitNumber === current.visitNumber && key.visitIssuer === current.visitIssuer;

  return prior.id === "" || same ? undefined : key;
};

/** Location columns and department for a sent PV1-3 / PV1-6 (department re-read only when the place changed). */
const locationData = async (
  store: TAdtStore,
  loc: TLocation,
  facility: TFacility,
  existing: TExisting | undefined,
): Promise<TEncounterWrite> => {
  const pointOfCare = clean(loc.pointOfCare);
  const samePlace = existing && existing.pointOfCare === pointOfCare && existing.facilityId === facility.id;
  const departmentId = samePlace ? existing.departmentId : await resolveDepartment(store, facility.code, pointOfCare);

  return { pointOfCare, room: clean(loc.room), bed: clean(loc.bed), departmentId };
};

/** Columns an admit/update-like event writes (PV1-3 and PV1-7 as units: sent → replaced, empty → kept). */
const visitData = async (
  store: TAdtStore,
  event: TAdtEvent,
  facility: TFacility,
  existing: TExisting | undefined,
): Promise<TEncounterWrite> => {
  const doctor = toPersonName(event.attendingDoctor);

  return {
    facilityId: facility.id,
    ...(isSent(event.location) ? await locationData(store, event.location, facility, existing) : {}),
    patientClass: field(event.patientClass),
    attendingDoctor: doctor === "" && event.attendingDoctor.id === "" ? undefined : doctor,
    admittedAt: event.admittedAt,
    dischargedAt: event.dischargedAt,
    lastEventAt: event.recordedAt,
  };
};

/** Status (and discharge time) an event sets; undefined keeps the stored status. */
const statusChange = (event: TAdtEvent, existing: TExisting | undefined): TEncounterWrite => {
  switch (event.event) {
    case "A01":
    case "A04":
      return { status: "active" };
    case "A03":
      return { status: "discharged", dischargedAt: event.dischargedAt ?? event.recordedAt };
    case "A05":
      return existing ? {} : { status: "preadmit" };
    default:
      return existing ? {} : { status: "active" };
  }
};

/** A11 / A12 / A13 on an existing encounter. */
const cancelData = async (
  store: TAdtStore,
  event: TAdtEvent,
  facility: TFacility,
  existing: TExisting,
  notes: string[],
): Promise<TEncounterWrite> => {
  const at = { lastEventAt: event.recordedAt };
  if (event.event === "A11") {
    return { ...at, status: "cancelled" };
  }
  if (event.event === "A12") {
    if (!isSent(event.priorLocation)) {
      notes.push(NOTE.priorLocationMissing);

      return at;
    }

    return { ...at, ...(await locationData(store, event.priorLocation, facility, existing)) };
  }
  // A13: PV1-3 holds the location after the cancel (HL7 v2.3.1 §3.2.13).
  const location = isSent(event.location) ? await locationData(store, event.location, facility, existing) : {};

  return { ...at, ...location, dischargedAt: null, ...(existing.status === "discharged" ? { status: "active" } : {}) };
};

/**
 * Apply one visit event.
 * @param store - the transaction's store
 * @param event - validated event (a visit event)
 * @param context - message id for IdentityChange rows
 * @param options - recordVisitChange (required for A06/A07)
 * @throws Hl7Error 207 - the visit number belongs to another patient (the transaction must roll back)
 */
export const applyVisitEvent = async (
  store: TAdtStore,
  event: TAdtEvent,
  context: TApplyContext,
  options: TVisitEventOptions = {},
): Promise<TApplyAdtResult> => {
  const facility = await resolveFacility(store, event);
  const key = pickPatientKey(event.identifiers, facility);
  const fromPv1 = event.visitNumber.id !== "";
  const visit = fromPv1 ? event.visitNumber : event.accountNumber;
  const visitKey = { visitNumber: visit.id, visitIssuer: visit.authority || facility.code };
  const priorKey = priorVisitKey(event, fromPv1, facility, visitKey);
  // Encounter before patient: under READ COMMITTED, a copy of the same first message racing on another connection
  // may commit between the two reads; read in this order, a visit seen implies its patient is seen too (no false
  // "visit of another patient"), and the loser fails on a unique key and answers with the winner's stored ACK.
  const encounters = await store.findEncounters([visitKey, ...(priorKey ? [priorKey] : [])]);
  const found = await findPatient(store, key);
  const isKey = (k: TVisitKey) => (e: TExisting) => e.visitNumber === k.visitNumber && e.visitIssuer === k.visitIssuer;
  const current = encounters.find(isKey(visitKey));
  const prior = priorKey ? encounters.find(isKey(priorKey)) : undefined;
  const existing = current ?? prior;
  const notes: string[] = [];
  if (priorKey) {
    notes.push(...(prior ? (current ? [NOTE.priorVisitKept] : []) : [NOTE.priorVisitUnknown]));
  }
  const isCancel = CANCEL_EVENTS.includes(event.event);
  if (isCancel && !existing) {
    return { patientId: found?.id ?? null, encounterId: null, applied: false, notes: [NOTE.unknownVisit] };
  }
  if (existing && existing.patientId !== found?.id) {
    const name = fromPv1 ? "PV1-19 visit number" : "PID-18 account number (used as visit number)";
    throw new Hl7Error(207, fromPv1 ? "PV1^1^19" : "PID^1^18", `${name} already belongs to another patient`);
  }
  const patient = isCancel && found ? { ...found, patientUpdated: false } : await writePatient(store, event, key, found);
  if (!isCancel && !patient.patientUpdated) {
    notes.push(NOTE.patientOlder);
  }
  if (existing && isOlder(event.recordedAt, existing.lastEventAt)) {
    notes.push(NOTE.encounterOlder);

    return { patientId: patient.id, encounterId: existing.id, applied: patient.patientUpdated, notes };
  }
  if (existing && isCancel) {
    await store.updateEncounter(existing.id, await cancelData(store, event, facility, existing, notes));

    return { patientId: patient.id, encounterId: existing.id, applied: true, notes };
  }
  const data = { ...(await visitData(store, event, facility, existing)), ...statusChange(event, existing) };
  if (existing) {
    const renumber = existing === prior ? visitKey : {};
    if (existing === prior) {
      if (!options.recordVisitChange) {
        throw new Error("a visit renumbering needs recordVisitChange");
      }
      await options.recordVisitChange({
        encounterId: existing.id,
        fromMrn: patient.mrn,
        fromIssuer: patient.issuer,
        fromVisitNumber: existing.visitNumber,
        toPatientId: patient.id,
      });
    }
    await store.updateEncounter(existing.id, { ...data, ...renumber });

    return { patientId: patient.id, encounterId: existing.id, applied: true, notes };
  }
  const createdId = await store.createEncounter({ status: "active", ...data, ...visitKey, patientId: patient.id });

  return { patientId: patient.id, encounterId: createdId, applied: true, notes };
};
