/**
 * A TAdtStore whose reads are answered from rows fetched earlier in one round trip (TAdtSnapshot), for the keys that
 * fetch covered; any other read, and every write, goes to the underlying store. The snapshot is as fresh as the
 * reads it replaces: on PostgreSQL (READ COMMITTED) each of those reads would have run in its own statement
 * snapshot anyway, and here they share one, which is at least as consistent.
 */
import type { TAdtStore, TFacility, TFoundPatient, TPatientKey, TStoredEncounter, TVisitKey } from "./adt-store";

export type TAdtSnapshot = {
  facilityCode: string;
  facility: TFacility | null;
  /** Per covered (mrn, issuer): the patient, or null when none. */
  patients: Map<string, TFoundPatient | null>;
  /** Per covered alias (mrn, issuer): the patient it points to, or null. */
  aliases: Map<string, TFoundPatient | null>;
  /** Covered visit keys and the encounters found for them. */
  visitKeys: Set<string>;
  encounters: TStoredEncounter[];
  /** Per covered (facility code, point of care): the mapping rows. */
  mappings: Map<string, { facilityCode: string; departmentId: string }[]>;
  /** Row versions (PostgreSQL xmin) of the rows read, by "Table:id" (adt-row-cache.ts keeps rows with them). */
  versions?: Map<string, string>;
};

/** Map key of a (mrn, issuer), visit or location pair (unit separator: cannot occur in HL7 text). */
export const pairKey = (a: string, b: string): string => `${a}\u001f${b}`;

const patientKey = (k: TPatientKey): string => pairKey(k.mrn, k.issuer);
const visitKey = (k: TVisitKey): string => pairKey(k.visitNumber, k.visitIssuer);

/**
 * @param store - the transaction's store
 * @param snapshot - rows fetched before the transaction
 */
export const answerFromSnapshot = (store: TAdtStore, snapshot: TAdtSnapshot): TAdtStore => ({
  ...store,
  findFacility: async (code) => (code === snapshot.facilityCode ? snapshot.facility : store.findFacility(code)),
  findPatient: async (key) => {
    const hit = snapshot.patients.get(patientKey(key));

    return hit !== undefined ? hit : store.findPatient(key);
  },
  findAliasedPatient: async (key) => {
    const hit = snapshot.aliases.get(patientKey(key));

    return hit !== undefined ? hit : store.findAliasedPatient(key);
  },
  findEncounters: async (keys) => {
    if (!keys.every((k) => snapshot.visitKeys.has(visitKey(k)))) {
      return store.findEncounters(keys);
    }
    const wanted = new Set(keys.map(visitKey));

    return snapshot.encounters.filter((e) => wanted.has(visitKey(e)));
  },
  findLocationMappings: async (facilityCode, pointOfCare) =>
    snapshot.mappings.get(pairKey(facilityCode, pointOfCare)) ?? store.findLocationMappings(facilityCode, pointOfCare),
});
