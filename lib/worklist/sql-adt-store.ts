/**
 * The ADT store (adt-store.ts) as plain SQL on the database driver, for the MLLP listener's hot path: one
 * transaction per message without Prisma's per-statement cost (lib/hl7/README.md, "Storage and audit").
 * - SQLite: its own better-sqlite3 connection (WAL, synchronous=FULL, foreign_keys, busy_timeout 5 s), prepared
 *   statements, BEGIN IMMEDIATE … COMMIT. Transactions of the process are serialised (`serialize`, also used for
 *   the Prisma path of rare events): SQLite has one writer, and a synchronous busy wait on the event loop must never
 *   wait for a transaction of the same process.
 * - PostgreSQL: a small pg pool, READ COMMITTED (as Prisma), one pooled connection per message. Every statement is a
 *   round trip, so the closing writes of a message (patient and encounter update, encounter insert, message row,
 *   audit row: nothing reads them back) are deferred and sent at the end as ONE statement (data-modifying CTEs),
 *   which commits them atomically. BEGIN … COMMIT is opened only when a write must happen earlier (a new facility or
 *   patient, whose row later writes reference); without it the reads run each in its own snapshot exactly as they
 *   would inside a READ COMMITTED transaction (they take no locks).
 * Values are stored exactly as Prisma stores them: cuid-shaped ids, DateTime as ISO-8601 UTC text on SQLite
 * ("…+00:00") and as TIMESTAMP(3) in UTC on PostgreSQL, createdAt/updatedAt set here. SQL text is built only from
 * the column lists below; every value is a bound parameter.
 */
import crypto from "node:crypto";
import Database from "better-sqlite3";
import pg from "pg";
import { toAuditEventRow, type TAuditEvent } from "../audit/record-audit-event";
import { parseDatabaseUrl } from "../db-url";
import type { TPreviousMessage } from "../hl7/hl7-message-row";
import { answerFromSnapshot, pairKey, type TAdtSnapshot } from "./answer-from-snapshot";
import type { TAdtStore, TFacility, TFoundPatient, TStoredEncounter } from "./adt-store";
import {
  CacheMissError,
  createAdtRowCache,
  emptyReadLog,
  preconditionsOf,
  recordingStore,
  type TPrecondition,
  type TWriteLog,
} from "./adt-row-cache";
import type { TAdtReadKeys } from "./list-adt-read-keys";

type TValue = string | number | null;
type TRow = Record<string, unknown>;

/** How a write is run. */
type TWriteOptions = {
  /** Nothing later in the transaction reads or references it: the executor may send it with the other deferred
   * writes at commit. */
  defer?: boolean;
  /** An UPDATE of one row by id: changing no row is an error (the row was deleted meanwhile), as Prisma's update. */
  oneRow?: boolean;
};

/** Runs one statement: rows for a query, nothing for a write. */
type TExecutor = {
  /** `write`: a statement that changes rows (INSERT … RETURNING). */
  all: (sql: string, params: TValue[], write?: boolean) => Promise<TRow[]>;
  run: (sql: string, params: TValue[], options?: TWriteOptions) => Promise<void>;
  /** Insert a new patient with the deferred writes (plain INSERT, id chosen here) instead of an upsert that returns
   * its id at once; if another connection created the same (mrn, issuer) meanwhile, the commit fails on the unique
   * key and the caller runs the message again without this (PostgreSQL: saves a round trip and BEGIN/COMMIT). */
  deferNewPatients?: boolean;
  /** The version (xmin) a row was read at, when known from the row cache: an UPDATE of it then also requires that
   * version (a row changed meanwhile by anyone fails the write instead of being overwritten on stale reads). */
  versionOf?: (table: string, id: string) => string | undefined;
  /** PostgreSQL: the reads below also select the row version (` AS "v"`) and report it here. */
  version?: { column: string; note: (table: string, id: string, version: string) => void };
};

/** An UPDATE by id found no row (cf. Prisma P2025): the transaction rolls back, the message is answered AE. */
export class RowNotFoundError extends Error {
  code = "ROW_NOT_FOUND";
  constructor() {
    super("the row to update does not exist");
    this.name = "RowNotFoundError";
  }
}

/**
 * The cached attempt of a message (TSqlAdtStore.transaction with `cached`) wrote nothing: a row it needed was not
 * cached, a row read from the cache had changed (precondition), or its logic refused on cached rows. Run the
 * message again on fresh reads.
 */
export class StaleCacheError extends Error {
  code = "STALE_CACHE";
  constructor(cause: unknown) {
    super("ADT row cache: not applied from cached rows", { cause });
    this.name = "StaleCacheError";
  }
}

/** Options of TSqlAdtStore.transaction. */
export type TTransactionOptions = {
  /**
   * Answer every read from the row cache (adt-row-cache.ts) and send the writes with preconditions on the rows read
   * as one statement: one round trip. guessAbsent: uncached patients/visits are taken as absent (creating events).
   * Rejects with StaleCacheError when nothing could be written that way.
   */
  cached?: { guessAbsent: boolean };
};

/** The stored message of a key and the rows an event will read, fetched in one round trip (PostgreSQL). */
export type TPrefetched = { message: TPreviousMessage | null; snapshot: TAdtSnapshot };

export type TSqlAdtStore = {
  kind: "sqlite" | "postgresql";
  /**
   * Run fn in one transaction; resolves after COMMIT returned (rolls back and rethrows on error). With a snapshot,
   * the reads it covers are answered from it (answer-from-snapshot.ts).
   */
  transaction: <T>(
    fn: (store: TAdtStore) => Promise<T>,
    snapshot?: TAdtSnapshot,
    options?: TTransactionOptions,
  ) => Promise<T>;
  /** Whether transaction accepts `cached` (PostgreSQL: a row cache per store). */
  cachesRows?: boolean;
  /** Cached attempts so far: applied in one round trip, given up on a miss (no I/O), failed (stale or refused). */
  cacheStats?: () => { applied: number; missed: number; failed: number };
  /**
   * The stored message for (sendingFacility, controlId) and the rows of `keys`, in one statement. PostgreSQL only,
   * where every read is a round trip; SQLite reads in-process and has none.
   */
  prefetch?: (message: { sendingFacility: string; controlId: string }, keys: TAdtReadKeys) => Promise<TPrefetched>;
  /** Run fn while no transaction of this store runs (SQLite; on PostgreSQL fn just runs). */
  serialize: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The stored message for (sendingFacility, controlId), outside any transaction. */
  findMessage: (sendingFacility: string, controlId: string) => Promise<TPreviousMessage | null>;
  close: () => Promise<void>;
};

const COLUMNS = {
  Facility: ["id", "code", "name", "mrnAuthority", "createdAt"],
  Patient: [
    "id", "mrn", "issuer", "familyName", "givenName", "middleName", "suffix", "prefix", "birthDate", "sex",
    "searchText", "lastEventAt", "createdAt", "updatedAt",
  ],
  Encounter: [
    "id", "patientId", "visitNumber", "visitIssuer", "facilityId", "pointOfCare", "room", "bed", "patientClass",
    "attendingDoctor", "status", "admittedAt", "dischargedAt", "departmentId", "lastEventAt", "createdAt", "updatedAt",
  ],
  Hl7Message: [
    "id", "sendingApp", "sendingFacility", "controlId", "messageType", "triggerEvent", "version", "bodyHash", "raw",
    "status", "ackCode", "ack", "error", "patientId", "receivedAt",
  ],
  AuditEvent: ["id", "at", "action", "outcome", "userId", "patientId", "studyId", "subject", "detail", "source"],
} as const;
type TTable = keyof typeof COLUMNS;

const q = (name: string): string => `"${name}"`;
const ENCOUNTER_COLUMN_NAMES = [
  "id", "patientId", "lastEventAt", "status", "pointOfCare", "facilityId", "departmentId", "visitNumber", "visitIssuer",
];
const ENCOUNTER_COLUMNS = ENCOUNTER_COLUMN_NAMES.map(q).join(", ");
const PATIENT_COLUMNS = ["id", "mrn", "issuer", "lastEventAt"];

let counter = Math.floor(Math.random() * 36 ** 4);
let randomPool = Buffer.alloc(0);
let randomAt = 0;
/** A new id of the shape Prisma's cuid() default gives (c + time + counter + random, 25 characters, base 36). */
export const newCuid = (): string => {
  counter = (counter + 1) % 36 ** 4;
  if (randomAt + 12 > randomPool.length) {
    randomPool = crypto.randomBytes(4096);
    randomAt = 0;
  }
  let random = "";
  for (let i = 0; i < 12; i += 1) {
    random += (randomPool[randomAt + i]! % 36).toString(36);
  }
  randomAt += 12;

  return `c${Date.now().toString(36).padStart(8, "0")}${counter.toString(36).padStart(4, "0")}${random}`;
};

/** Only the defined values, only of the table's columns (a programming error otherwise). */
const entries = (table: TTable, data: TRow): [string, unknown][] => {
  const allowed: readonly string[] = COLUMNS[table];

  return Object.entries(data).filter(([key, value]) => {
    if (!allowed.includes(key)) {
      throw new Error(`${table}.${key} is not a column this store writes`);
    }

    return value !== undefined;
  });
};

/**
 * The store on one transaction's executor.
 * @param x - statement runner of the open transaction
 * @param toDb - value conversion of the dialect (Date → text)
 * @param fromDb - DateTime column value → Date
 */
const storeOn = (x: TExecutor, toDb: (v: unknown) => TValue, fromDb: (v: unknown) => Date | null): TAdtStore => {
  const now = (): Date => new Date();
  const insert = async (table: TTable, data: TRow, returning = "", defer = false): Promise<TRow[]> => {
    const cols = entries(table, data);
    const sql =
      `INSERT INTO ${q(table)} (${cols.map(([k]) => q(k)).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})` +
      returning;
    const params = cols.map(([, v]) => toDb(v));
    if (returning) {
      return x.all(sql, params, true);
    }
    await x.run(sql, params, { defer });

    return [];
  };
  /**
   * UPDATE by id. With lastEventAt in the data (every Patient/Encounter write of an event), only while the row's
   * lastEventAt is not newer: the event logic checked that on what it read, and this re-checks it at the write, so
   * an event whose reads went stale (another connection committed a newer event meanwhile, PostgreSQL) changes no
   * row, fails as RowNotFoundError and is run again on fresh reads (openPostgres) instead of undoing newer data.
   */
  const update = async (table: TTable, id: string, data: TRow): Promise<void> => {
    const cols = entries(table, data);
    const at = data.lastEventAt instanceof Date ? toDb(data.lastEventAt) : undefined;
    const version = x.versionOf?.(table, id);
    const guard =
      (at === undefined ? "" : ` AND ("lastEventAt" IS NULL OR "lastEventAt" <= ?)`) +
      (version === undefined ? "" : ` AND xmin = ?::xid`);
    const sql = `UPDATE ${q(table)} SET ${cols.map(([k]) => `${q(k)} = ?`).join(", ")} WHERE "id" = ?${guard}`;
    const params = [...cols.map(([, v]) => toDb(v)), id, ...(at === undefined ? [] : [at]), ...(version === undefined ? [] : [version])];
    await x.run(sql, params, { defer: true, oneRow: true });
  };
  /** The version column of a read (`alias` "." prefix of the table), when the dialect has one. */
  const v = (alias = ""): string => (x.version ? `, ${alias}${x.version.column} AS "v"` : "");
  /** Report the version of a row read with v(). */
  const noted = (table: string, row: TRow | undefined): TRow | undefined => {
    if (row && x.version && row.v !== undefined) {
      x.version.note(table, String(row.id), String(row.v));
    }

    return row;
  };
  const patient = (row: TRow | undefined): TFoundPatient | null =>
    noted("Patient", row)
      ? { id: String(row!.id), mrn: String(row!.mrn), issuer: String(row!.issuer), lastEventAt: fromDb(row!.lastEventAt) }
      : null;
  const facility = (row: TRow | undefined): TFacility | null =>
    noted("Facility", row) ? { id: String(row!.id), code: String(row!.code), mrnAuthority: String(row!.mrnAuthority) } : null;

  return {
    findFacility: async (code) => {
      const [row] = await x.all(`SELECT "id", "code", "mrnAuthority"${v()} FROM "Facility" WHERE "code" = ?`, [code]);

      return facility(row);
    },
    createFacility: async (data) => {
      // First messages of a new facility may race on several connections: the loser keeps the winner's row
      // instead of failing on the unique code.
      const cols = entries("Facility", { id: newCuid(), ...data, createdAt: now() });
      await x.run(
        `INSERT INTO "Facility" (${cols.map(([k]) => q(k)).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})` +
          ` ON CONFLICT ("code") DO NOTHING`,
        cols.map(([, v]) => toDb(v)),
        { defer: false },
      );
      const [row] = await x.all(`SELECT "id", "code", "mrnAuthority"${v()} FROM "Facility" WHERE "code" = ?`, [data.code]);

      return facility(row)!;
    },
    findPatient: async (key) => {
      const cols = PATIENT_COLUMNS.map(q).join(", ");
      const rows = await x.all(`SELECT ${cols}${v()} FROM "Patient" WHERE "mrn" = ? AND "issuer" = ?`, [key.mrn, key.issuer]);

      return patient(rows[0]);
    },
    findAliasedPatient: async (key) => {
      const cols = PATIENT_COLUMNS.map((c) => `p.${q(c)}`).join(", ");
      const rows = await x.all(
        `SELECT ${cols}${v("p.")} FROM "PatientAlias" a JOIN "Patient" p ON p."id" = a."patientId" WHERE a."mrn" = ? AND a."issuer" = ?`,
        [key.mrn, key.issuer],
      );

      return patient(rows[0]);
    },
    updatePatient: async (id, data) => update("Patient", id, { ...data, updatedAt: now() }),
    upsertPatient: async (key, data) => {
      const at = now();
      if (x.deferNewPatients) {
        const id = newCuid();
        await insert("Patient", { id, ...key, ...data, createdAt: at, updatedAt: at }, "", true);

        return id;
      }
      const set = entries("Patient", { ...data, updatedAt: at })
        .map(([k]) => `${q(k)} = excluded.${q(k)}`)
        .join(", ");
      const rows = await insert(
        "Patient",
        { id: newCuid(), ...key, ...data, createdAt: at, updatedAt: at },
        ` ON CONFLICT ("mrn", "issuer") DO UPDATE SET ${set} RETURNING "id"`,
      );

      return String(rows[0]!.id);
    },
    findEncounters: async (keys) => {
      if (keys.length === 0) {
        return [];
      }
      const where = keys.map(() => `("visitNumber" = ? AND "visitIssuer" = ?)`).join(" OR ");
      const rows = await x.all(
        `SELECT ${ENCOUNTER_COLUMNS}${v()} FROM "Encounter" WHERE ${where}`,
        keys.flatMap((k) => [k.visitNumber, k.visitIssuer]),
      );

      return rows.map(
        (r): TStoredEncounter => (noted("Encounter", r), {
          id: String(r.id),
          patientId: String(r.patientId),
          lastEventAt: fromDb(r.lastEventAt),
          status: String(r.status),
          pointOfCare: String(r.pointOfCare),
          facilityId: r.facilityId === null ? null : String(r.facilityId),
          departmentId: r.departmentId === null ? null : String(r.departmentId),
          visitNumber: String(r.visitNumber),
          visitIssuer: String(r.visitIssuer),
        }),
      );
    },
    findLocationMappings: async (facilityCode, pointOfCare) => {
      const rows = await x.all(
        `SELECT "facilityCode", "departmentId" FROM "LocationMapping" WHERE "pointOfCare" = ? AND "facilityCode" IN (?, ?)`,
        [pointOfCare, facilityCode, ""],
      );

      return rows.map((r) => ({ facilityCode: String(r.facilityCode), departmentId: String(r.departmentId) }));
    },
    updateEncounter: async (id, data) => update("Encounter", id, { ...data, updatedAt: now() }),
    createEncounter: async (data) => {
      const id = newCuid();
      const at = now();
      await insert("Encounter", { id, ...data, createdAt: at, updatedAt: at }, "", true);

      return id;
    },
    saveHl7Message: async (previous, row) => {
      if (previous) {
        const { id: _ignored, ...data } = row;
        await update("Hl7Message", previous.id, data);

        return previous.id;
      }
      const id = row.id ?? newCuid();
      await insert("Hl7Message", { ...row, id }, "", true);

      return id;
    },
    recordAuditEvent: async (event: TAuditEvent) => {
      await insert("AuditEvent", { id: newCuid(), at: now(), ...toAuditEventRow(event) }, "", true);
    },
  };
};

const MESSAGE_LOOKUP =
  `SELECT "id", "status", "bodyHash", "ack" FROM "Hl7Message" WHERE "sendingFacility" = ? AND "controlId" = ?`;
const toMessage = (row: TRow | undefined): TPreviousMessage | null =>
  row ? { id: String(row.id), status: String(row.status), bodyHash: String(row.bodyHash), ack: String(row.ack) } : null;

/** A promise chain: one fn at a time. */
const createMutex = () => {
  let tail: Promise<unknown> = Promise.resolve();

  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);

    return run;
  };
};

const openSqlite = (file: string): TSqlAdtStore => {
  const conn = new Database(file, { timeout: 5000 });
  conn.pragma("journal_mode = WAL");
  conn.pragma("synchronous = FULL");
  conn.pragma("foreign_keys = ON");
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let s = statements.get(sql);
    if (!s) {
      s = conn.prepare(sql);
      statements.set(sql, s);
    }

    return s;
  };
  const x: TExecutor = {
    all: async (sql, params) => prepare(sql).all(...params) as TRow[],
    run: async (sql, params, options = {}) => {
      if (prepare(sql).run(...params).changes === 0 && options.oneRow) {
        throw new RowNotFoundError();
      }
    },
  };
  const toDb = (v: unknown): TValue => (v instanceof Date ? v.toISOString().replace("Z", "+00:00") : (v as TValue));
  const fromDb = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(String(v)));
  const store = storeOn(x, toDb, fromDb);
  const serialize = createMutex();

  return {
    kind: "sqlite",
    serialize,
    transaction: (fn, snapshot) =>
      serialize(async () => {
        prepare("BEGIN IMMEDIATE").run();
        try {
          const result = await fn(snapshot ? answerFromSnapshot(store, snapshot) : store);
          prepare("COMMIT").run();

          return result;
        } catch (error) {
          if (conn.inTransaction) {
            prepare("ROLLBACK").run();
          }
          throw error;
        }
      }),
    findMessage: async (facility, controlId) => toMessage(prepare(MESSAGE_LOOKUP).get(facility, controlId) as TRow),
    close: async () => {
      conn.close();
    },
  };
};

/** `?` placeholders → `$1 … $n` (the SQL text here never contains a literal question mark). */
const numbered = (sql: string): string => {
  let n = 0;

  return sql.replace(/\?/g, () => `$${(n += 1)}`);
};

const TIMESTAMP_OID = 1114;
const UNIQUE_VIOLATION = "23505";
/** A oneRow check inside the combined write statement (see flush). */
const DIVISION_BY_ZERO = "22012";

/** A stable prepared-statement name for a SQL text (the shapes are few: one per write combination). */
const statementNames = new Map<string, string>();
const statementName = (sql: string): string => {
  let name = statementNames.get(sql);
  if (!name) {
    name = `ec_${crypto.createHash("sha1").update(sql).digest("hex").slice(0, 16)}`;
    statementNames.set(sql, name);
  }

  return name;
};

const jsonRows = (columns: string[], alias = "") =>
  `coalesce(json_agg(json_build_object(${columns.map((c) => `'${c}', ${alias}${q(c)}`).join(", ")})), '[]')`;

/**
 * The prefetch (TSqlAdtStore.prefetch) as one statement: $1/$2 message key, $3 facility code, $4/$5 (mrn, issuer)
 * arrays, $6/$7 visit key arrays, $8 points of care. Each part is an index lookup, also in the generic plan of the
 * prepared statement: keys are matched per column with `= ANY` (a `(a, b) IN (unnest …)` made that plan hash-join a
 * sequential scan of Patient and Encounter); the cross pairs this can return are dropped in toPrefetched.
 */
const PREFETCH = `SELECT
  (SELECT ${jsonRows(["id", "status", "bodyHash", "ack"])} FROM "Hl7Message"
    WHERE "sendingFacility" = $1 AND "controlId" = $2) AS "message",
  (SELECT ${jsonRows(["id", "code", "mrnAuthority", "xmin"])} FROM "Facility" WHERE "code" = $3) AS "facility",
  (SELECT ${jsonRows([...PATIENT_COLUMNS, "xmin"])} FROM "Patient"
    WHERE "mrn" = ANY($4::text[]) AND "issuer" = ANY($5::text[])) AS "patients",
  (SELECT coalesce(json_agg(json_build_object('aliasMrn', a."mrn", 'aliasIssuer', a."issuer", ${[...PATIENT_COLUMNS, "xmin"].map((c) => `'${c}', p.${q(c)}`).join(", ")})), '[]')
    FROM "PatientAlias" a JOIN "Patient" p ON p."id" = a."patientId"
    WHERE a."mrn" = ANY($4::text[]) AND a."issuer" = ANY($5::text[])) AS "aliases",
  (SELECT ${jsonRows([...ENCOUNTER_COLUMN_NAMES, "xmin"])} FROM "Encounter"
    WHERE "visitNumber" = ANY($6::text[]) AND "visitIssuer" = ANY($7::text[])) AS "encounters",
  (SELECT ${jsonRows(["facilityCode", "departmentId", "pointOfCare"])} FROM "LocationMapping"
    WHERE "pointOfCare" = ANY($8::text[]) AND "facilityCode" IN ($3, '')) AS "mappings"`;

/** json_build_object renders TIMESTAMP(3) as ISO text without a zone; it holds UTC. */
const jsonDate = (v: unknown): Date | null => (typeof v === "string" ? new Date(`${v}Z`) : null);
const jsonPatient = (r: TRow): TFoundPatient => ({
  id: String(r.id),
  mrn: String(r.mrn),
  issuer: String(r.issuer),
  lastEventAt: jsonDate(r.lastEventAt),
});

/** The prefetch row → the stored message and a snapshot covering exactly `keys`. */
const toPrefetched = (row: TRow, keys: TAdtReadKeys): TPrefetched => {
  const versions = new Map<string, string>();
  const list = (v: unknown, table?: string): TRow[] => {
    const rows = Array.isArray(v) ? (v as TRow[]) : [];
    if (table) {
      for (const r of rows) {
        versions.set(`${table}:${String(r.id)}`, String(r.xmin));
      }
    }

    return rows;
  };
  const patients = new Map<string, TFoundPatient | null>(keys.patients.map((k) => [pairKey(k.mrn, k.issuer), null]));
  for (const r of list(row.patients, "Patient")) {
    const key = pairKey(String(r.mrn), String(r.issuer));
    if (patients.has(key)) {
      patients.set(key, jsonPatient(r));
    }
  }
  const aliases = new Map<string, TFoundPatient | null>(keys.patients.map((k) => [pairKey(k.mrn, k.issuer), null]));
  for (const r of list(row.aliases, "Patient")) {
    const key = pairKey(String(r.aliasMrn), String(r.aliasIssuer));
    if (aliases.has(key)) {
      aliases.set(key, jsonPatient(r));
    }
  }
  const visitKeys = new Set(keys.visits.map((k) => pairKey(k.visitNumber, k.visitIssuer)));
  const mappings = new Map<string, { facilityCode: string; departmentId: string }[]>(
    keys.locations.map((l) => [pairKey(l.facilityCode, l.pointOfCare), []]),
  );
  for (const r of list(row.mappings)) {
    mappings.get(pairKey(keys.facilityCode, String(r.pointOfCare)))?.push({
      facilityCode: String(r.facilityCode),
      departmentId: String(r.departmentId),
    });
  }
  const [message] = list(row.message);
  const [facility] = list(row.facility, "Facility");

  return {
    message: toMessage(message),
    snapshot: {
      facilityCode: keys.facilityCode,
      facility: facility
        ? { id: String(facility.id), code: String(facility.code), mrnAuthority: String(facility.mrnAuthority) }
        : null,
      patients,
      aliases,
      visitKeys,
      encounters: list(row.encounters, "Encounter")
        .filter((r) => visitKeys.has(pairKey(String(r.visitNumber), String(r.visitIssuer))))
        .map((r) => ({
          id: String(r.id),
          patientId: String(r.patientId),
          lastEventAt: jsonDate(r.lastEventAt),
          status: String(r.status),
          pointOfCare: String(r.pointOfCare),
          facilityId: r.facilityId === null ? null : String(r.facilityId),
          departmentId: r.departmentId === null ? null : String(r.departmentId),
          visitNumber: String(r.visitNumber),
          visitIssuer: String(r.visitIssuer),
        })),
      mappings,
      versions,
    },
  };
};

const openPostgres = (url: string): TSqlAdtStore => {
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    types: {
      // TIMESTAMP(3) without time zone holds UTC (as Prisma writes it).
      getTypeParser: ((oid: number, format?: string) =>
        oid === TIMESTAMP_OID
          ? (text: string) => new Date(`${text.replace(" ", "T")}Z`)
          : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
    },
  });
  // A dropped database or a restarted server ends idle connections; the next transaction gets a new one.
  pool.on("error", () => {});
  const sqlCache = new Map<string, string>();
  const text = (sql: string): string => {
    let t = sqlCache.get(sql);
    if (!t) {
      t = numbered(sql);
      sqlCache.set(sql, t);
    }

    return t;
  };
  const toDb = (v: unknown): TValue => (v instanceof Date ? v.toISOString() : (v as TValue));
  const fromDb = (v: unknown): Date | null => (v instanceof Date ? v : v === null || v === undefined ? null : new Date(String(v)));

  const cache = createAdtRowCache();
  const stats = { applied: 0, missed: 0, failed: 0 };

  /**
   * One try of a transaction (see TExecutor.deferNewPatients for `deferNewPatients`). With `cached`, the reads come
   * from the row cache and the deferred writes carry preconditions on them (TTransactionOptions.cached). After a
   * commit the cache keeps what was read (with known versions) and written; after a failure it forgets what was read.
   */
  const attempt = async <T>(
    fn: (store: TAdtStore) => Promise<T>,
    snapshot: TAdtSnapshot | undefined,
    deferNewPatients: boolean,
    cached?: { guessAbsent: boolean },
  ): Promise<T> => {
    const client = await pool.connect();
    let open = false;
    let deferred: { sql: string; params: TValue[]; oneRow: boolean }[] = [];
    let preconditions: TPrecondition[] = [];
    let xid: string | undefined;
    const reads = emptyReadLog();
    /** Versions of rows read from the database in this attempt (not from a snapshot or the cache). */
    const seen = new Map<string, string>();
    const writes: TWriteLog = { patients: new Map(), encounters: new Map() };
    /** One statement, prepared once per connection (named): no parse/plan on the server for repeated shapes. */
    const query = (sql: string, params: TValue[]) => client.query({ name: statementName(sql), text: sql, values: params });
    /** One write; RowNotFoundError when a oneRow update changed nothing (nothing was written then). */
    const write = async (sql: string, params: TValue[], oneRow: boolean): Promise<void> => {
      if ((await query(text(sql), params)).rowCount === 0 && oneRow) {
        throw new RowNotFoundError();
      }
    };
    /**
     * The deferred writes as one statement (data-modifying CTEs), returning the transaction id (the version of every
     * row written). A oneRow update that finds no row, or a precondition that no longer holds, makes the whole
     * statement fail (division by zero), so none of its writes stays. The preconditions are evaluated on the
     * statement's snapshot; the updates also require the version read (TExecutor.versionOf), which PostgreSQL
     * re-checks on the newest row version when another transaction changed the row after that snapshot.
     */
    const flush = async (): Promise<void> => {
      const batch = deferred;
      const checks = preconditions;
      deferred = [];
      preconditions = [];
      if (batch.length === 0) {
        return;
      }
      const ctes = batch.map((w, i) => `w${i} AS (${w.sql}${w.oneRow ? " RETURNING 1" : ""})`);
      const rowChecks = batch.flatMap((w, i) => (w.oneRow ? [`1 / (SELECT count(*) FROM w${i})::int`] : []));
      if (checks.length > 0) {
        rowChecks.push(`1 / (CASE WHEN ${checks.map((c) => `(${c.sql})`).join(" AND ")} THEN 1 ELSE 0 END)`);
      }
      const sql = `WITH ${ctes.join(", ")} SELECT ${rowChecks.join(" + ") || "1"} AS "ok", pg_current_xact_id()::xid::text AS "xid"`;
      const { rows } = await query(text(sql), [...batch.flatMap((w) => w.params), ...checks.flatMap((c) => c.params)]);
      xid = String((rows[0] as TRow).xid);
    };
    /** Before a write that cannot wait: open the transaction, send the deferred writes (in order). Reads need
     * neither (no read depends on a deferred write, see TExecutor). */
    const begin = async (): Promise<void> => {
      if (!open) {
        await client.query("BEGIN");
        open = true;
      }
      await flush();
    };
    const x: TExecutor = {
      all: async (sql, params, isWrite = false) => {
        if (isWrite) {
          await begin();
        }

        return (await query(text(sql), params)).rows as TRow[];
      },
      run: async (sql, params, options = {}) => {
        if (options.defer) {
          deferred.push({ sql, params, oneRow: options.oneRow ?? false });

          return;
        }
        await begin();
        await write(sql, params, options.oneRow ?? false);
      },
      deferNewPatients,
      versionOf: cached ? cache.versionOf : undefined,
      version: { column: "xmin::text", note: (table, id, version) => seen.set(`${table}:${id}`, version) },
    };
    const readVersion = cached
      ? cache.versionOf
      : (table: string, id: string) => snapshot?.versions?.get(`${table}:${id}`) ?? seen.get(`${table}:${id}`);
    try {
      const base = storeOn(x, toDb, fromDb);
      const store = recordingStore(
        cached ? cache.answering(base, cached.guessAbsent) : snapshot ? answerFromSnapshot(base, snapshot) : base,
        reads,
        writes,
      );
      const result = await fn(store);
      if (cached) {
        preconditions = preconditionsOf(reads, cache.versionOf);
      }
      await flush();
      if (open) {
        await client.query("COMMIT");
      }
      client.release();
      cache.learn(reads, writes, readVersion, xid);

      return result;
    } catch (error) {
      cache.forget(reads);
      try {
        if (open) {
          await client.query("ROLLBACK");
        }
        client.release();
      } catch (rollbackError) {
        client.release(rollbackError as Error);
      }
      throw error;
    }
  };

  return {
    kind: "postgresql",
    cachesRows: true,
    cacheStats: () => ({ ...stats }),
    serialize: (fn) => fn(),
    transaction: async (fn, snapshot, options = {}) => {
      if (options.cached) {
        try {
          const result = await attempt(fn, undefined, true, options.cached);
          stats.applied += 1;

          return result;
        } catch (error) {
          if (error instanceof CacheMissError) {
            stats.missed += 1;
          } else {
            stats.failed += 1;
          }
          // Nothing was written (a miss throws before any I/O; a failed precondition or unique key rolls the one
          // statement back), or the outcome is unknown (connection lost): the caller runs the message on fresh reads,
          // which finds the stored message if it did commit.
          throw new StaleCacheError(error);
        }
      }
      try {
        return await attempt(fn, snapshot, true);
      } catch (error) {
        // The rows read went stale before the commit: a patient this message would create was created by another
        // connection (unique key), or a row it updates was changed by a newer event or deleted (RowNotFoundError).
        // Nothing was written: run it once more on fresh reads.
        const code = (error as { code?: string }).code;
        if (code !== UNIQUE_VIOLATION && !(error instanceof RowNotFoundError) && code !== DIVISION_BY_ZERO) {
          throw error;
        }

        return attempt(fn, undefined, false);
      }
    },
    prefetch: async (message, keys) => {
      if (keys.locations.some((l) => l.facilityCode !== keys.facilityCode)) {
        throw new Error("prefetch: locations of another facility");
      }
      const params = [
        message.sendingFacility,
        message.controlId,
        keys.facilityCode,
        keys.patients.map((k) => k.mrn),
        keys.patients.map((k) => k.issuer),
        keys.visits.map((k) => k.visitNumber),
        keys.visits.map((k) => k.visitIssuer),
        keys.locations.map((l) => l.pointOfCare),
      ];
      const { rows } = await pool.query({ name: "ec_adt_prefetch", text: PREFETCH, values: params });

      return toPrefetched(rows[0] as TRow, keys);
    },
    findMessage: async (facility, controlId) =>
      toMessage((await pool.query(text(MESSAGE_LOOKUP), [facility, controlId])).rows[0] as TRow | undefined),
    close: () => pool.end(),
  };
};

/**
 * Open the store for a DATABASE_URL (file: → SQLite, postgresql:// → PostgreSQL).
 * @param url - the database URL
 */
export const openSqlAdtStore = (url: string): TSqlAdtStore => {
  const target = parseDatabaseUrl(url);

  return target.kind === "sqlite" ? openSqlite(target.file) : openPostgres(target.url);
};
