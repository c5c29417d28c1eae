/**
 * The reads and writes the ADT event logic needs, behind one interface, so the logic (adt-context.ts,
 * apply-visit-event.ts, apply-person-event.ts) is written once and runs on either store:
 * - `prismaAdtStore(tx)`: Prisma calls inside an interactive transaction (every event; the only store for merges,
 *   identifier and account changes, A06/A07, and for callers without a fast store).
 * - `lib/worklist/sql-adt-store.ts`: the same statements as plain SQL on the driver (better-sqlite3 / pg), one
 *   transaction per message, for the listener's hot path (see lib/hl7/README.md, "Storage and audit").
 * Field semantics are Prisma's: `undefined` leaves a column alone, `null` clears it.
 */
import type { TTx } from "../db";
import { recordAuditEvent, type TAuditEvent } from "../audit/record-audit-event";
import { saveHl7Message, type hl7MessageRow, type TPreviousMessage } from "../hl7/hl7-message-row";

export type TFacility = { id: string; code: string; mrnAuthority: string };
export type TPatientKey = { mrn: string; issuer: string };
export type TFoundPatient = { id: string; mrn: string; issuer: string; lastEventAt: Date | null };
export type TVisitKey = { visitNumber: string; visitIssuer: string };

/** The encounter columns the event logic reads. */
export type TStoredEncounter = {
  id: string;
  patientId: string;
  lastEventAt: Date | null;
  status: string;
  pointOfCare: string;
  facilityId: string | null;
  departmentId: string | null;
  visitNumber: string;
  visitIssuer: string;
};

/** Patient columns an event writes (undefined = keep). */
export type TPatientWrite = {
  familyName: string;
  givenName: string;
  middleName: string;
  suffix: string;
  prefix: string;
  birthDate: string | undefined;
  sex: string | undefined;
  searchText: string;
  lastEventAt: Date;
};

/** Encounter columns an event writes (undefined = keep, null = clear). */
export type TEncounterWrite = {
  facilityId?: string;
  pointOfCare?: string;
  room?: string;
  bed?: string;
  departmentId?: string | null;
  patientClass?: string;
  attendingDoctor?: string;
  admittedAt?: Date | null;
  dischargedAt?: Date | null;
  lastEventAt?: Date;
  status?: string;
  visitNumber?: string;
  visitIssuer?: string;
};

export type TEncounterCreate = TEncounterWrite & TVisitKey & { patientId: string; status: string };

export type THl7MessageWrite = ReturnType<typeof hl7MessageRow> & { id?: string };

export type TAdtStore = {
  findFacility: (code: string) => Promise<TFacility | null>;
  createFacility: (data: { code: string; name: string; mrnAuthority: string }) => Promise<TFacility>;
  /** The patient carrying (mrn, issuer). */
  findPatient: (key: TPatientKey) => Promise<TFoundPatient | null>;
  /** The patient a PatientAlias (mrn, issuer) points to. */
  findAliasedPatient: (key: TPatientKey) => Promise<TFoundPatient | null>;
  updatePatient: (id: string, data: TPatientWrite) => Promise<void>;
  /** Create, or update when (mrn, issuer) exists meanwhile (two first messages racing end in one row); the id. */
  upsertPatient: (key: TPatientKey, data: TPatientWrite) => Promise<string>;
  /** Encounters carrying any of the visit keys. */
  findEncounters: (keys: TVisitKey[]) => Promise<TStoredEncounter[]>;
  /** LocationMapping rows for the point of care, of the facility or of no facility (""). */
  findLocationMappings: (
    facilityCode: string,
    pointOfCare: string,
  ) => Promise<{ facilityCode: string; departmentId: string }[]>;
  updateEncounter: (id: string, data: TEncounterWrite) => Promise<void>;
  createEncounter: (data: TEncounterCreate) => Promise<string>;
  /** Insert the message row, or overwrite the earlier failed row (previous); the row id. */
  saveHl7Message: (previous: TPreviousMessage | null | undefined, row: THl7MessageWrite) => Promise<string>;
  recordAuditEvent: (event: TAuditEvent) => Promise<void>;
};

/** Runs fn on a store in its own transaction (one write of the refusal path: message row, then audit row). */
export type TStoreWriter = <T>(fn: (store: TAdtStore) => Promise<T>) => Promise<T>;

const ENCOUNTER_SELECT = {
  id: true,
  patientId: true,
  lastEventAt: true,
  status: true,
  pointOfCare: true,
  facilityId: true,
  departmentId: true,
  visitNumber: true,
  visitIssuer: true,
} as const;
const PATIENT_SELECT = { id: true, mrn: true, issuer: true, lastEventAt: true } as const;
const FACILITY_SELECT = { id: true, code: true, mrnAuthority: true } as const;

/**
 * The store on a Prisma interactive transaction (or on the client itself: each call its own statement).
 * @param tx - transaction client or client
 */
export const prismaAdtStore = (tx: TTx): TAdtStore => ({
  findFacility: (code) => tx.facility.findUnique({ where: { code }, select: FACILITY_SELECT }),
  createFacility: (data) => tx.facility.upsert({ where: { code: data.code }, create: data, update: {}, select: FACILITY_SELECT }),
  findPatient: (key) => tx.patient.findUnique({ where: { mrn_issuer: key }, select: PATIENT_SELECT }),
  findAliasedPatient: async (key) => {
    const alias = await tx.patientAlias.findUnique({
      where: { mrn_issuer: key },
      select: { patient: { select: PATIENT_SELECT } },
    });

    return alias?.patient ?? null;
  },
  updatePatient: async (id, data) => {
    await tx.patient.update({ where: { id }, data, select: { id: true } });
  },
  upsertPatient: async (key, data) => {
    const row = await tx.patient.upsert({
      where: { mrn_issuer: key },
      create: { ...key, ...data },
      update: data,
      select: { id: true },
    });

    return row.id;
  },
  findEncounters: (keys) => tx.encounter.findMany({ where: { OR: keys }, select: ENCOUNTER_SELECT }),
  findLocationMappings: (facilityCode, pointOfCare) =>
    tx.locationMapping.findMany({
      where: { pointOfCare, facilityCode: { in: [facilityCode, ""] } },
      select: { facilityCode: true, departmentId: true },
    }),
  updateEncounter: async (id, data) => {
    await tx.encounter.update({ where: { id }, data, select: { id: true } });
  },
  createEncounter: async (data) => (await tx.encounter.create({ data, select: { id: true } })).id,
  saveHl7Message: (previous, row) => saveHl7Message(tx, previous, row),
  recordAuditEvent: (event) => recordAuditEvent(tx, event),
});
