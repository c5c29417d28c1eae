/**
 * The rows a hot-path ADT event (isStoreEvent) will read, known from the message alone, so a store can fetch them
 * in one round trip before the event logic runs (sql-adt-store.ts on PostgreSQL). A key missing here only costs a
 * read later: the logic still asks the store, and the snapshot answers only what it covered
 * (answer-from-snapshot.ts).
 */
import type { TAdtEvent } from "../hl7/adt-event";
import { clean } from "./adt-context";
import type { TPatientKey, TVisitKey } from "./adt-store";

export type TAdtReadKeys = {
  /** Facility.code (PV1-3.4, else MSH-4). */
  facilityCode: string;
  /** Candidate (mrn, issuer) keys: PID-3 repetitions with an assigning authority (the MRN is picked among them). */
  patients: TPatientKey[];
  /** The visit key (PV1-19, else PID-18; issuer = its authority, else the facility code). */
  visits: TVisitKey[];
  /** Points of care whose department may be looked up (PV1-3, PV1-6). */
  locations: { facilityCode: string; pointOfCare: string }[];
};

/**
 * @param event - a validated hot-path event
 * @returns the keys of the rows its logic reads
 */
export const listAdtReadKeys = (event: TAdtEvent): TAdtReadKeys => {
  const facilityCode = event.facilityCode;
  const visit = event.visitNumber.id !== "" ? event.visitNumber : event.accountNumber;
  const locations = [event.location, event.priorLocation]
    .map((loc) => clean(loc.pointOfCare))
    .filter((pointOfCare, i, all) => pointOfCare !== "" && all.indexOf(pointOfCare) === i)
    .map((pointOfCare) => ({ facilityCode, pointOfCare }));

  return {
    facilityCode,
    patients: event.identifiers.filter((i) => i.authority !== "").map((i) => ({ mrn: i.id, issuer: i.authority })),
    visits: visit.id === "" ? [] : [{ visitNumber: visit.id, visitIssuer: visit.authority || facilityCode }],
    locations,
  };
};
