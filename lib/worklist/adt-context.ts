/**
 * Shared pieces of applying an ADT event: the result type, field semantics (empty = keep, HL7 null = clear), the
 * facility, which PID-3 / MRG-1 repetition is the MRN, patient lookup through aliases, department lookup.
 * Every function here runs inside the caller's transaction, through its store (adt-store.ts).
 */
import { toPersonName as toDicomPersonName } from "../dicom/format-dicom-values";
import { HL7_NULL, type TAdtEvent, type TPersonName } from "../hl7/adt-event";
import type { TAdtStore, TFacility, TFoundPatient, TPatientKey, TPatientWrite } from "./adt-store";
import { foldSearchText } from "./fold-search-text";

export type { TAdtStore, TFacility, TFoundPatient, TPatientKey } from "./adt-store";

export type TApplyAdtResult = {
  /** The patient the message ended up with (survivor of a merge); null when nothing was found or created. */
  patientId: string | null;
  encounterId: string | null;
  /** False when nothing at all was written (out of order, unknown visit of a cancel, repeated merge). */
  applied: boolean;
  /** Why something was not applied, for MSA-3 and the log; fixed texts without values (no PHI). */
  notes: string[];
};

/** What applying needs to know about the message beyond its content. */
export type TApplyContext = {
  /** Hl7Message.id the message will be stored under (for PatientAlias / IdentityChange rows). */
  messageId: () => string;
};

/** MSA-3 texts. */
export const NOTE = {
  encounterOlder: "older than the encounter's last event; not applied",
  patientOlder: "older than the patient's last event; patient not updated",
  unknownVisit: "unknown visit; nothing to cancel",
  priorLocationMissing: "PV1-6 prior location empty; location kept",
  alreadyMerged: "already merged; nothing changed",
  alreadyChanged: "identifier already changed; nothing changed",
  priorUnknown: "prior identifier unknown; alias recorded",
  priorVisitUnknown: "prior visit number unknown; nothing renumbered",
  priorVisitKept: "both visit numbers exist; the prior visit was kept",
} as const;

/** Field update: "" = not sent (undefined: Prisma leaves the column alone), HL7 null = clear. */
export const field = (v: string): string | undefined => (v === "" ? undefined : v === HL7_NULL ? "" : v);
export const clean = (v: string): string => (v === HL7_NULL ? "" : v);

/**
 * DICOM PN (PS3.5 §6.2): family^given^middle^prefix^suffix, trailing empty components dropped; a decoded `^`, `=` or
 * `\` inside a component (sent escaped as \S\ ...) becomes a space (lib/dicom toPersonName).
 */
export const toPersonName = (n: TPersonName): string =>
  toDicomPersonName({
    familyName: clean(n.family),
    givenName: clean(n.given),
    middleName: clean(n.middle),
    prefix: clean(n.prefix),
    suffix: clean(n.suffix),
  });

/** The facility by code, created on first sight (mrnAuthority: first MR repetition's authority, else the first's). */
export const resolveFacility = async (store: TAdtStore, event: TAdtEvent): Promise<TFacility> => {
  const code = event.facilityCode;
  const existing = await store.findFacility(code);
  if (existing) {
    return existing;
  }
  const mr = event.identifiers.find((i) => i.type === "MR") ?? event.identifiers[0];

  return store.createFacility({ code, name: code, mrnAuthority: mr?.authority || code });
};

/**
 * The MRN among identifiers (PID-3 or MRG-1): the repetition whose authority is the facility's mrnAuthority, else
 * type MR, else the first; issuer = its authority, else the facility's mrnAuthority.
 */
export const pickPatientKey = (ids: TAdtEvent["identifiers"], facility: TFacility): TPatientKey => {
  const pick = ids.find((i) => i.authority === facility.mrnAuthority) ?? ids.find((i) => i.type === "MR") ?? ids[0];

  return { mrn: pick?.id ?? "", issuer: pick?.authority || facility.mrnAuthority };
};

/**
 * The patient carrying (mrn, issuer), else the one it was merged into / renamed to (PatientAlias); `viaAlias` tells
 * which. One indexed read for a known MRN, a second only when there is no such patient (a single statement with
 * OR EXISTS(alias) would scan the Patient table on SQLite).
 */
export const findPatient = async (
  store: TAdtStore,
  key: TPatientKey,
): Promise<(TFoundPatient & { viaAlias: boolean }) | null> => {
  const direct = await store.findPatient(key);
  if (direct) {
    return { ...direct, viaAlias: false };
  }
  const aliased = await store.findAliasedPatient(key);

  return aliased ? { ...aliased, viaAlias: true } : null;
};

/** LocationMapping for (facility, point of care), then ("", point of care); null when unmapped. */
export const resolveDepartment = async (
  store: TAdtStore,
  facilityCode: string,
  pointOfCare: string,
): Promise<string | null> => {
  if (pointOfCare === "") {
    return null;
  }
  const rows = await store.findLocationMappings(facilityCode, pointOfCare);

  return (rows.find((r) => r.facilityCode === facilityCode) ?? rows[0])?.departmentId ?? null;
};

/** Patient columns from the event (name always; other fields only when sent) and the event time. */
export const patientData = (event: TAdtEvent, mrn: string): TPatientWrite => {
  const n = event.name;

  return {
    familyName: clean(n.family),
    givenName: clean(n.given),
    middleName: clean(n.middle),
    suffix: clean(n.suffix),
    prefix: clean(n.prefix),
    birthDate: field(event.birthDate),
    sex: field(event.sex),
    searchText: foldSearchText([n.family, n.given, n.middle, mrn].map(clean).join(" ")),
    lastEventAt: event.recordedAt,
  };
};

/** Whether an event recorded at `at` is older than the row's last applied event. */
export const isOlder = (at: Date, lastEventAt: Date | null | undefined): boolean =>
  lastEventAt !== null && lastEventAt !== undefined && lastEventAt > at;

/**
 * Write the patient's demographics: create when unknown (upsert, so two first messages racing end in one row),
 * update when the event is not older than the patient's last one, else leave it (patientUpdated false).
 * @param found - the result of findPatient for key (null when unknown)
 */
export const writePatient = async (
  store: TAdtStore,
  event: TAdtEvent,
  key: TPatientKey,
  found: TFoundPatient | null,
): Promise<{ id: string; mrn: string; issuer: string; patientUpdated: boolean }> => {
  if (found) {
    if (isOlder(event.recordedAt, found.lastEventAt)) {
      return { ...found, patientUpdated: false };
    }
    await store.updatePatient(found.id, patientData(event, found.mrn));

    return { ...found, patientUpdated: true };
  }
  const data = patientData(event, key.mrn);
  const id = await store.upsertPatient(key, data);

  return { id, ...key, patientUpdated: true };
};
