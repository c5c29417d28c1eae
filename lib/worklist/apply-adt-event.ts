/**
 * Apply an ADT event (A01/A04/A08) to the worklist tables, inside the caller's transaction.
 *
 * Keys (dicom-and-ihe.md §9):
 * - Facility: PV1-3.4, else MSH-4; created on first sight with mrnAuthority = authority of the first PID-3
 *   repetition of type MR, else of the first repetition, else the facility code.
 * - Patient (mrn, issuer): the PID-3 repetition whose authority is the facility's mrnAuthority, else type MR, else
 *   the first; issuer = its authority (the facility's mrnAuthority when it has none).
 * - Encounter (visitNumber, visitIssuer): PV1-19 with its CX.4 authority, else PID-18 with its CX.4; the
 *   authority defaults to the facility code.
 * Out of order: an event recorded before the encounter's lastEventAt changes nothing (applied = false). Patient
 * demographics are left alone when any encounter of the patient has a newer event (the Patient table has no
 * event time of its own). Empty fields keep stored values; HL7 null ("") clears them (see adt-event.ts).
 * A visit number that already belongs to another patient is refused (207): moving encounters is A44/A45 work.
 * A01/A04 (re)activate the encounter; A08 only updates it (it must not reopen a discharged or cancelled visit).
 */
import type { TTx } from "../db";
import { HL7_NULL, type TAdtEvent, type TPersonName } from "../hl7/adt-event";
import { Hl7Error } from "../hl7/hl7-error";
import { foldSearchText } from "./fold-search-text";

export type TApplyAdtResult = {
  patientId: string;
  encounterId: string;
  /** False when the event was older than the encounter's last event and nothing was written. */
  applied: boolean;
  /** False when patient demographics were kept because a newer event exists for the patient. */
  patientUpdated: boolean;
};

/** Field update: "" = not sent (undefined: Prisma leaves the column alone), HL7 null = clear. */
const field = (v: string): string | undefined => (v === "" ? undefined : v === HL7_NULL ? "" : v);
const clean = (v: string): string => (v === HL7_NULL ? "" : v);

/** DICOM PN (PS3.5 §6.2): family^given^middle^prefix^suffix, trailing empty components dropped. */
const toPersonName = (n: TPersonName): string =>
  [n.family, n.given, n.middle, n.prefix, n.suffix].map(clean).join("^").replace(/\^+$/, "");

/** The facility by code, created on first sight. */
const resolveFacility = async (tx: TTx, event: TAdtEvent) => {
  const code = event.facilityCode;
  const existing = await tx.facility.findUnique({ where: { code } });
  if (existing) {
    return existing;
  }
  const mr = event.identifiers.find((i) => i.type === "MR") ?? event.identifiers[0];

  return tx.facility.create({ data: { code, name: code, mrnAuthority: mr?.authority || code } });
};

/** LocationMapping for (facility, point of care), then ("", point of care); null when unmapped. */
const resolveDepartment = async (tx: TTx, facilityCode: string, pointOfCare: string): Promise<string | null> => {
  if (pointOfCare === "") {
    return null;
  }
  const rows = await tx.locationMapping.findMany({
    where: { pointOfCare, facilityCode: { in: [facilityCode, ""] } },
    select: { facilityCode: true, departmentId: true },
  });

  return (rows.find((r) => r.facilityCode === facilityCode) ?? rows[0])?.departmentId ?? null;
};

/** Patient columns from the event (name always; other fields only when sent). */
const patientData = (event: TAdtEvent, mrn: string) => {
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
  };
};

/** Encounter columns from the event (PV1-3 and PV1-7 as units: sent → replaced, empty → kept). */
const encounterData = (event: TAdtEvent, departmentId: string | null | undefined) => {
  const loc = event.location;
  const locationSent = [loc.pointOfCare, loc.room, loc.bed].some((v) => v !== "");
  const doctor = toPersonName(event.attendingDoctor);

  return {
    pointOfCare: locationSent ? clean(loc.pointOfCare) : undefined,
    room: locationSent ? clean(loc.room) : undefined,
    bed: locationSent ? clean(loc.bed) : undefined,
    departmentId: locationSent ? departmentId : undefined,
    patientClass: field(event.patientClass),
    attendingDoctor: doctor === "" && event.attendingDoctor.id === "" ? undefined : doctor,
    admittedAt: event.admittedAt,
    dischargedAt: event.dischargedAt,
    lastEventAt: event.recordedAt,
    ...(event.event === "A08" ? {} : { status: "active" }),
  };
};

/**
 * Apply one event.
 * @param tx - transaction client (the caller commits it together with the Hl7Message row)
 * @param event - validated ADT event
 * @throws Hl7Error 207 - the visit number belongs to another patient (the transaction must roll back)
 */
export const applyAdtEvent = async (tx: TTx, event: TAdtEvent): Promise<TApplyAdtResult> => {
  const facility = await resolveFacility(tx, event);
  const ids = event.identifiers;
  const pick = ids.find((i) => i.authority === facility.mrnAuthority) ?? ids.find((i) => i.type === "MR") ?? ids[0];
  const mrn = pick?.id ?? "";
  const issuer = pick?.authority || facility.mrnAuthority;
  const fromPv1 = event.visitNumber.id !== "";
  const visit = fromPv1 ? event.visitNumber : event.accountNumber;
  const visitKey = { visitNumber: visit.id, visitIssuer: visit.authority || facility.code };

  // One read for both out-of-order checks: this visit, and any of the patient's encounters with a newer event.
  const encounters = await tx.encounter.findMany({
    where: { OR: [visitKey, { patient: { mrn, issuer }, lastEventAt: { gt: event.recordedAt } }] },
    select: { id: true, patientId: true, lastEventAt: true, visitNumber: true, visitIssuer: true },
  });
  const isVisit = (e: { visitNumber: string; visitIssuer: string }): boolean =>
    e.visitNumber === visitKey.visitNumber && e.visitIssuer === visitKey.visitIssuer;
  const existing = encounters.find(isVisit);
  if (existing?.lastEventAt && existing.lastEventAt > event.recordedAt) {
    return { patientId: existing.patientId, encounterId: existing.id, applied: false, patientUpdated: false };
  }
  const newer = encounters.some((e) => e !== existing);
  const data = patientData(event, mrn);
  const patient = await tx.patient.upsert({
    where: { mrn_issuer: { mrn, issuer } },
    create: { mrn, issuer, ...data },
    update: newer ? {} : data,
    select: { id: true },
  });
  if (existing && existing.patientId !== patient.id) {
    const field = fromPv1 ? "PV1-19 visit number" : "PID-18 account number (used as visit number)";
    throw new Hl7Error(207, fromPv1 ? "PV1^1^19" : "PID^1^18", `${field} already belongs to another patient`);
  }
  const departmentId = await resolveDepartment(tx, facility.code, clean(event.location.pointOfCare));
  const encounter = existing
    ? await tx.encounter.update({
        where: { id: existing.id },
        data: { facilityId: facility.id, ...encounterData(event, departmentId) },
        select: { id: true },
      })
    : await tx.encounter.create({
        data: {
          ...visitKey,
          patientId: patient.id,
          facilityId: facility.id,
          status: "active",
          ...encounterData(event, departmentId),
        },
        select: { id: true },
      });

  return { patientId: patient.id, encounterId: encounter.id, applied: true, patientUpdated: !newer };
};
