/**
 * A per-process cache of the rows the hot-path ADT events read (facility, patients by key and by alias, encounters
 * by visit key, location mappings), each with its row version (PostgreSQL `xmin`), so a message whose reads are all
 * cached is applied in ONE round trip: the event logic runs on the cached rows and the write statement carries
 * preconditions that every row read is still that version (sql-adt-store.ts, "cached attempt"). A failed
 * precondition writes nothing; the caller then runs the message on fresh reads. The cache is never the truth:
 * another listener process, an admin edit or a merge may change any row at any time, and the preconditions make
 * such a stale entry harmless.
 *
 * Entries come from committed transactions only: rows read with their version (prefetch) and rows this process
 * wrote (version = the writing transaction's xid). Keys not cached are a miss (the cached attempt gives up before
 * any I/O), except for events that usually create their patient and visit (A01/A04/A05/A28, `guessAbsent`): there
 * an uncached patient, alias or visit is taken as absent and the write statement checks that it is.
 */
import type { TAdtStore, TFacility, TFoundPatient, TPatientKey, TStoredEncounter, TVisitKey } from "./adt-store";
import { pairKey } from "./answer-from-snapshot";

/** A row and its version (xmin as text). */
type TVersioned<T> = { row: T; version: string };
type TMapping = { facilityCode: string; departmentId: string };

/** What an event's logic read through a store, keyed as the reads were asked (for preconditions and learning). */
export type TReadLog = {
  facilities: Map<string, TFacility | null>;
  patients: Map<string, { key: TPatientKey; found: TFoundPatient | null }>;
  aliases: Map<string, { key: TPatientKey; found: TFoundPatient | null }>;
  visits: Map<string, { key: TVisitKey; found: TStoredEncounter | null }>;
  mappings: Map<string, { facilityCode: string; pointOfCare: string; rows: TMapping[] }>;
};

/** What an event's logic wrote (the projection of each Patient / Encounter row after the write). */
export type TWriteLog = {
  patients: Map<string, TFoundPatient>;
  encounters: Map<string, TStoredEncounter>;
};

/** The cached attempt needs a row the cache does not hold: give up before any I/O. */
export class CacheMissError extends Error {
  code = "CACHE_MISS";
  constructor() {
    super("ADT row cache miss");
    this.name = "CacheMissError";
  }
}

/** A read log with nothing read yet. */
export const emptyReadLog = (): TReadLog => ({
  facilities: new Map(),
  patients: new Map(),
  aliases: new Map(),
  visits: new Map(),
  mappings: new Map(),
});

const patientKey = (k: TPatientKey): string => pairKey(k.mrn, k.issuer);
const visitKey = (k: TVisitKey): string => pairKey(k.visitNumber, k.visitIssuer);
const defined = <T extends object>(data: T): Partial<T> =>
  Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * A store that records every read and every Patient/Encounter write of the logic (reads go on to `store`).
 * @param store - the store the logic would use
 * @param reads - filled with the reads
 * @param writes - filled with the rows as written
 */
export const recordingStore = (store: TAdtStore, reads: TReadLog, writes: TWriteLog): TAdtStore => {
  const patientRead = (id: string): TFoundPatient | undefined => {
    for (const log of [reads.patients, reads.aliases]) {
      for (const { found } of log.values()) {
        if (found?.id === id) {
          return found;
        }
      }
    }

    return undefined;
  };

  return {
    ...store,
    findFacility: async (code) => {
      const found = await store.findFacility(code);
      reads.facilities.set(code, found);

      return found;
    },
    createFacility: async (data) => {
      const created = await store.createFacility(data);
      reads.facilities.set(data.code, created);

      return created;
    },
    findPatient: async (key) => {
      const found = await store.findPatient(key);
      reads.patients.set(patientKey(key), { key, found });

      return found;
    },
    findAliasedPatient: async (key) => {
      const found = await store.findAliasedPatient(key);
      reads.aliases.set(patientKey(key), { key, found });

      return found;
    },
    findEncounters: async (keys) => {
      const found = await store.findEncounters(keys);
      for (const key of keys) {
        reads.visits.set(visitKey(key), { key, found: found.find((e) => visitKey(e) === visitKey(key)) ?? null });
      }

      return found;
    },
    findLocationMappings: async (facilityCode, pointOfCare) => {
      const rows = await store.findLocationMappings(facilityCode, pointOfCare);
      reads.mappings.set(pairKey(facilityCode, pointOfCare), { facilityCode, pointOfCare, rows });

      return rows;
    },
    updatePatient: async (id, data) => {
      await store.updatePatient(id, data);
      const before = writes.patients.get(id) ?? patientRead(id);
      if (before) {
        writes.patients.set(id, { ...before, lastEventAt: data.lastEventAt });
      }
    },
    upsertPatient: async (key, data) => {
      const id = await store.upsertPatient(key, data);
      writes.patients.set(id, { id, ...key, lastEventAt: data.lastEventAt });

      return id;
    },
    updateEncounter: async (id, data) => {
      await store.updateEncounter(id, data);
      const before = writes.encounters.get(id) ?? [...reads.visits.values()].find((v) => v.found?.id === id)?.found;
      if (before) {
        const { facilityId, pointOfCare, departmentId, lastEventAt, status, visitNumber, visitIssuer } = data;
        writes.encounters.set(id, {
          ...before,
          ...defined({ facilityId, pointOfCare, departmentId, lastEventAt, status, visitNumber, visitIssuer }),
        });
      }
    },
    createEncounter: async (data) => {
      const id = await store.createEncounter(data);
      writes.encounters.set(id, {
        id,
        patientId: data.patientId,
        lastEventAt: data.lastEventAt ?? null,
        status: data.status,
        pointOfCare: data.pointOfCare ?? "",
        facilityId: data.facilityId ?? null,
        departmentId: data.departmentId ?? null,
        visitNumber: data.visitNumber,
        visitIssuer: data.visitIssuer,
      });

      return id;
    },
  };
};

/** A precondition of the write statement: SQL that is true while the rows read are unchanged, with its values. */
export type TPrecondition = { sql: string; params: (string | null)[] };

/** Concatenated mapping rows, compared in SQL (unit/record separators cannot occur in codes or ids). */
export const mappingSignature = (rows: TMapping[]): string =>
  [...rows]
    .sort((a, b) => (a.facilityCode < b.facilityCode ? -1 : a.facilityCode > b.facilityCode ? 1 : 0))
    .map((r) => `${r.facilityCode}\u001f${r.departmentId}`)
    .join("\u001e");

/**
 * The checks that every read of `reads` would still return the same (same row versions; absent rows still absent).
 * @param reads - what the logic read
 * @param versionOf - the version each row was read at
 * @throws CacheMissError - a row read without a known version (cannot be checked)
 */
export const preconditionsOf = (reads: TReadLog, versionOf: (table: string, id: string) => string | undefined): TPrecondition[] => {
  const version = (table: string, id: string): string => {
    const v = versionOf(table, id);
    if (v === undefined) {
      throw new CacheMissError();
    }

    return v;
  };
  const checks: TPrecondition[] = [];
  for (const f of reads.facilities.values()) {
    if (!f) {
      throw new CacheMissError();
    }
    checks.push({ sql: `EXISTS (SELECT 1 FROM "Facility" WHERE "id" = ? AND xmin = ?::xid)`, params: [f.id, version("Facility", f.id)] });
  }
  for (const { key, found } of reads.patients.values()) {
    checks.push(
      found
        ? { sql: `EXISTS (SELECT 1 FROM "Patient" WHERE "id" = ? AND xmin = ?::xid)`, params: [found.id, version("Patient", found.id)] }
        : { sql: `NOT EXISTS (SELECT 1 FROM "Patient" WHERE "mrn" = ? AND "issuer" = ?)`, params: [key.mrn, key.issuer] },
    );
  }
  for (const { key, found } of reads.aliases.values()) {
    checks.push(
      found
        ? {
            sql:
              `EXISTS (SELECT 1 FROM "PatientAlias" a JOIN "Patient" p ON p."id" = a."patientId"` +
              ` WHERE a."mrn" = ? AND a."issuer" = ? AND p."id" = ? AND p.xmin = ?::xid)`,
            params: [key.mrn, key.issuer, found.id, version("Patient", found.id)],
          }
        : { sql: `NOT EXISTS (SELECT 1 FROM "PatientAlias" WHERE "mrn" = ? AND "issuer" = ?)`, params: [key.mrn, key.issuer] },
    );
  }
  for (const { key, found } of reads.visits.values()) {
    checks.push(
      found
        ? { sql: `EXISTS (SELECT 1 FROM "Encounter" WHERE "id" = ? AND xmin = ?::xid)`, params: [found.id, version("Encounter", found.id)] }
        : {
            sql: `NOT EXISTS (SELECT 1 FROM "Encounter" WHERE "visitNumber" = ? AND "visitIssuer" = ?)`,
            params: [key.visitNumber, key.visitIssuer],
          },
    );
  }
  for (const m of reads.mappings.values()) {
    checks.push({
      sql:
        `(SELECT coalesce(string_agg("facilityCode" || chr(31) || "departmentId", chr(30) ORDER BY "facilityCode"), '')` +
        ` FROM "LocationMapping" WHERE "pointOfCare" = ? AND "facilityCode" IN (?, '')) = ?`,
      params: [m.pointOfCare, m.facilityCode, mappingSignature(m.rows)],
    });
  }

  return checks;
};

/**
 * The cache of one store (one process). Bounded: the oldest entries go first.
 * @param limit - entries per kind
 */
export const createAdtRowCache = (limit = 20_000) => {
  const facilities = new Map<string, TVersioned<TFacility>>();
  const patients = new Map<string, TVersioned<TFoundPatient>>();
  /** (mrn, issuer) of a patient or of an alias → patient id. */
  const patientKeys = new Map<string, string>();
  const aliasKeys = new Map<string, string>();
  const encounters = new Map<string, TVersioned<TStoredEncounter>>();
  const visitKeys = new Map<string, string>();
  const mappings = new Map<string, TMapping[]>();
  const put = <K, V>(map: Map<K, V>, key: K, value: V): void => {
    map.delete(key);
    map.set(key, value);
    if (map.size > limit) {
      map.delete(map.keys().next().value as K);
    }
  };
  const patientOf = (id: string | undefined): TFoundPatient | undefined => (id ? patients.get(id)?.row : undefined);

  return {
    /** The version a cached row was read or written at. */
    versionOf: (table: string, id: string): string | undefined =>
      table === "Patient"
        ? patients.get(id)?.version
        : table === "Encounter"
          ? encounters.get(id)?.version
          : table === "Facility"
            ? [...facilities.values()].find((f) => f.row.id === id)?.version
            : undefined,
    /**
     * A store answering every read from the cache (misses throw CacheMissError; with guessAbsent an uncached
     * patient, alias or visit is absent); writes go to `store`.
     */
    answering: (store: TAdtStore, guessAbsent: boolean): TAdtStore => ({
      ...store,
      findFacility: async (code) => {
        const hit = facilities.get(code);
        if (!hit) {
          throw new CacheMissError();
        }

        return hit.row;
      },
      findPatient: async (key) => {
        const hit = patientOf(patientKeys.get(patientKey(key)));
        // A key known as an alias is no patient's own key (a renamed or merged identifier): guessed, and checked.
        if (!hit && !guessAbsent && !aliasKeys.has(patientKey(key))) {
          throw new CacheMissError();
        }

        return hit ?? null;
      },
      findAliasedPatient: async (key) => {
        const hit = patientOf(aliasKeys.get(patientKey(key)));
        if (!hit && !guessAbsent) {
          throw new CacheMissError();
        }

        return hit ?? null;
      },
      findEncounters: async (keys) =>
        keys.flatMap((key) => {
          const hit = encounters.get(visitKeys.get(visitKey(key)) ?? "")?.row;
          if (!hit && !guessAbsent) {
            throw new CacheMissError();
          }

          return hit ? [hit] : [];
        }),
      findLocationMappings: async (facilityCode, pointOfCare) => {
        const hit = mappings.get(pairKey(facilityCode, pointOfCare));
        if (!hit) {
          throw new CacheMissError();
        }

        return hit;
      },
    }),
    /**
     * After a commit: keep the rows read (when their version is known) and the rows written (version = xid).
     * @param reads - what the logic read
     * @param writes - what it wrote
     * @param readVersion - the version each row was read at (undefined: unknown, not kept)
     * @param xid - the committed transaction's id (the xmin of every row it wrote)
     */
    learn: (
      reads: TReadLog,
      writes: TWriteLog,
      readVersion: (table: string, id: string) => string | undefined,
      xid: string | undefined,
    ): void => {
      for (const [code, f] of reads.facilities) {
        const version = f ? readVersion("Facility", f.id) : undefined;
        if (f && version) {
          put(facilities, code, { row: f, version });
        }
      }
      const keepPatient = (row: TFoundPatient, version: string | undefined): void => {
        if (version) {
          put(patients, row.id, { row, version });
          put(patientKeys, patientKey(row), row.id);
        }
      };
      for (const { found } of reads.patients.values()) {
        if (found) {
          keepPatient(found, readVersion("Patient", found.id));
        }
      }
      for (const [key, { found }] of reads.aliases) {
        const version = found ? readVersion("Patient", found.id) : undefined;
        if (found && version) {
          keepPatient(found, version);
          put(aliasKeys, key, found.id);
        }
      }
      const keepEncounter = (row: TStoredEncounter, version: string | undefined): void => {
        if (version) {
          put(encounters, row.id, { row, version });
          put(visitKeys, visitKey(row), row.id);
        }
      };
      for (const { found } of reads.visits.values()) {
        if (found) {
          keepEncounter(found, readVersion("Encounter", found.id));
        }
      }
      for (const [key, m] of reads.mappings) {
        put(mappings, key, m.rows);
      }
      if (xid) {
        for (const row of writes.patients.values()) {
          keepPatient(row, xid);
        }
        for (const row of writes.encounters.values()) {
          keepEncounter(row, xid);
        }
      }
    },
    /** Drop every entry a failed attempt read (they may be stale). */
    forget: (reads: TReadLog): void => {
      for (const code of reads.facilities.keys()) {
        facilities.delete(code);
      }
      for (const [key, { found }] of [...reads.patients, ...reads.aliases]) {
        patientKeys.delete(key);
        aliasKeys.delete(key);
        if (found) {
          patients.delete(found.id);
        }
      }
      for (const [key, { found }] of reads.visits) {
        visitKeys.delete(key);
        if (found) {
          encounters.delete(found.id);
        }
      }
      for (const key of reads.mappings.keys()) {
        mappings.delete(key);
      }
    },
  };
};

export type TAdtRowCache = ReturnType<typeof createAdtRowCache>;
