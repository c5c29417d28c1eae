/**
 * One inbound HL7 message → stored, applied, acknowledged (the MLLP server's `handle`).
 *
 * Order of work (reliability-matrix §1.2, §1.3):
 * 1. Parse (never throws). The body hash is SHA-256 over the frame payload without trailing CR/LF (senders differ
 *    in terminating the last segment; mllp_send strips it).
 * 2. On PostgreSQL, for a hot-path event whose rows the listener has cached (lib/worklist/adt-row-cache.ts): ONE
 *    statement inserts the message row as new and applies the effects only if every cached row read is still current
 *    (step 4 in one round trip). A duplicate or earlier copy (unique key), a stale row, a miss, or a refusal computed
 *    on cached rows writes nothing, and the message goes on here on fresh reads.
 *    Look up (sendingFacility = MSH-4 HD.1, MSH-10): one indexed read. On PostgreSQL, for a hot-path event, the same
 *    statement fetches the rows the event will read (facility, patients, aliases, visit, location mappings), so a
 *    message costs two round trips: this one and the commit of its writes.
 *    - processed + same hash → a true duplicate (the sender missed our ACK): resend the stored ACK, apply nothing.
 *    - processed + other hash → the control id was reused for different content: AE 207, kept apart (rejected).
 *    - error/rejected → an earlier attempt failed: process again, overwriting that row.
 * 3. Refused by the parser (AE/AR with ERR): stored in its own write, answered.
 * 4. Otherwise ONE transaction: apply the event, write the Hl7Message row (with the ACK it will get) and the audit
 *    event. AA is returned only after that commit. The transaction: for the events of the hot path (visit events
 *    other than A06/A07, A28/A31) a driver-level one (lib/worklist/sql-adt-store.ts, one per client, plain SQL, no
 *    Prisma per statement); for the rest a Prisma interactive transaction. Both run the same event logic through a
 *    TAdtStore. On SQLite the process's ADT transactions run one at a time. Refusals (3, 5) are written through the
 *    same driver-level store. MSA-3 carries what was not applied (out of order,
 *    unknown visit of a cancel, repeated merge). Rows that reference the message (PatientAlias, IdentityChange) are
 *    written before it, so its id is chosen up front when one is needed (the earlier row's id on a resend).
 * 5. The transaction fails: an Hl7Error from the worklist (e.g. visit of another patient) → AE with it, stored; a
 *    database error → the stored ACK if a concurrent copy of the same message committed meanwhile, else AE 207
 *    "please resend" (never AA), stored best-effort.
 * Logs carry control ids, row ids and codes only.
 */
import crypto from "node:crypto";
import { databaseUrlOf, type TDb } from "../db";
import { createLogger } from "../logger";
import type { TApplyAdtResult } from "../worklist/adt-context";
import { prismaAdtStore, type TAdtStore, type TStoreWriter } from "../worklist/adt-store";
import { applyAdtEvent, applyAdtEventOnStore, isStoreEvent } from "../worklist/apply-adt-event";
import type { TAdtSnapshot } from "../worklist/answer-from-snapshot";
import { listAdtReadKeys } from "../worklist/list-adt-read-keys";
import { openSqlAdtStore, StaleCacheError, type TSqlAdtStore, type TTransactionOptions } from "../worklist/sql-adt-store";
import type { TAdtEvent } from "./adt-event";
import { buildAck } from "./build-ack";
import { Hl7Error } from "./hl7-error";
import { errorCode, hl7MessageRow, type TPreviousMessage } from "./hl7-message-row";
import { parseMessage, type THl7Header, type TParsedMessage } from "./parse-message";
import { refuseMessage, type TInbound } from "./refuse-message";

const log = createLogger("hl7");

export type TInboundContext = {
  /** Audit source, e.g. "mllp:10.1.2.3". */
  source?: string;
};

/** ADT_ROW_CACHE=off: never apply from the row cache (for comparing in bench:adt; the cache is on by default). */
const ROW_CACHE = process.env.ADT_ROW_CACHE !== "off";

/** Events that usually introduce their patient and visit: uncached ones are guessed absent (adt-row-cache.ts). */
const CREATING_EVENTS = new Set(["A01", "A04", "A05", "A28"]);

/** SHA-256 (hex) of the payload without trailing segment terminators. */
const bodyHash = (raw: Buffer): string => {
  let end = raw.length;
  while (end > 0 && (raw[end - 1] === 0x0d || raw[end - 1] === 0x0a)) {
    end -= 1;
  }

  return crypto.createHash("sha256").update(raw.subarray(0, end)).digest("hex");
};

const sqlStores = new WeakMap<TDb, TSqlAdtStore | null>();

/**
 * The driver-level store on the client's database (opened once per client); null when its URL is unknown (a client
 * not opened by openDb) or it cannot be opened now (then Prisma answers, and the next message tries again).
 */
const sqlStoreFor = (db: TDb): TSqlAdtStore | null => {
  let store = sqlStores.get(db);
  if (store === undefined) {
    const url = databaseUrlOf(db);
    try {
      store = url ? openSqlAdtStore(url) : null;
    } catch (error) {
      log.error("driver-level store not available; using Prisma", { error: errorCode(error) });

      return null;
    }
    sqlStores.set(db, store);
  }

  return store;
};

/**
 * How the row cache of the client's driver-level store fared (PostgreSQL; undefined elsewhere): for tests and the
 * benchmark.
 * @param db - database client
 */
export const adtRowCacheStats = (db: TDb) => sqlStores.get(db)?.cacheStats?.();

/**
 * The row already stored for this message's key; undefined when it has no MSH-10. For a hot-path event on a store
 * with prefetch (PostgreSQL) the same round trip also fetches the rows the event will read (the snapshot).
 */
const findPrevious = async (
  db: TDb,
  parsed: TParsedMessage,
  prefetch = false,
): Promise<{ previous: TPreviousMessage | null | undefined; snapshot?: TAdtSnapshot }> => {
  const h = parsed.header;
  if (!h?.controlId) {
    return { previous: undefined };
  }
  const sql = sqlStoreFor(db);
  const { adt } = parsed;
  if (prefetch && sql?.prefetch && adt && !parsed.error && isStoreEvent(adt)) {
    const { message, snapshot } = await sql.prefetch(
      { sendingFacility: h.sendingFacility, controlId: h.controlId },
      listAdtReadKeys(adt),
    );

    return { previous: message, snapshot };
  }
  if (sql) {
    return { previous: await sql.findMessage(h.sendingFacility, h.controlId) };
  }
  const previous = await db.hl7Message.findUnique({
    where: { sendingFacility_controlId: { sendingFacility: h.sendingFacility, controlId: h.controlId } },
    select: { id: true, status: true, bodyHash: true, ack: true },
  });

  return { previous };
};

/** Apply and record in one transaction; resolves after the commit with the ACK text. */
const commit = async (
  db: TDb,
  inbound: TInbound & { header: THl7Header; adt: TAdtEvent },
  previous: TPreviousMessage | null | undefined,
  snapshot: TAdtSnapshot | undefined,
  options?: TTransactionOptions,
): Promise<string> => {
  const { header, adt } = inbound;
  let newId: string | undefined;
  const messageId = (): string => previous?.id ?? (newId ??= crypto.randomUUID());
  const record = async (store: TAdtStore, result: TApplyAdtResult) => {
    const text = result.notes.join("; ") || undefined;
    const ack = buildAck({ header, code: "AA", text });
    const row = hl7MessageRow(inbound.parsed, inbound.bodyHash, header.controlId, {
      status: "processed",
      ackCode: "AA",
      ack,
      error: "",
      patientId: result.patientId,
    });
    const id = await store.saveHl7Message(previous, newId ? { ...row, id: newId } : row);
    const outcome = [result.applied ? "applied" : "not applied", ...result.notes].join("; ");
    await store.recordAuditEvent({
      action: "hl7.received",
      patientId: result.patientId,
      subject: id,
      detail: `ADT^${adt.event} ${outcome}; encounter ${result.encounterId ?? "-"}`,
      source: inbound.source,
    });

    return { ack, id, applied: result.applied, notes: result.notes };
  };
  const sql = sqlStoreFor(db);
  const done =
    sql && isStoreEvent(adt)
      ? await sql.transaction(
          async (store) => record(store, await applyAdtEventOnStore(store, adt, { messageId })),
          snapshot,
          options,
        )
      : await (sql?.serialize ?? ((fn) => fn()))(() =>
          db.$transaction(async (tx) => record(prismaAdtStore(tx), await applyAdtEvent(tx, adt, { messageId }))),
        );
  const fields = { messageId: done.id, controlId: header.controlId, event: adt.event, notes: done.notes.join("; ") };
  if (done.notes.length === 0) {
    // One line per message only at LOG_LEVEL=debug: the message log (Hl7Message) is the record of every message.
    log.debug("message applied", fields);
  } else {
    log.warn(done.applied ? "message partly applied" : "message not applied", fields);
  }

  return done.ack;
};

/** AE 207 for a database failure (the sender should resend as is). */
const databaseError = (error: unknown, controlId: string | undefined): Hl7Error => {
  log.error("database error; answering AE", { controlId, error: errorCode(error) });

  return new Hl7Error(207, "", `database error (${errorCode(error)}); please resend`);
};

/**
 * Store, apply and acknowledge one inbound message. Message and database problems become AE/AR ACKs; it rejects
 * only on a programming error (the server then closes the connection without an ACK).
 * @param db - database client
 * @param raw - frame payload (unframed)
 * @param context - audit source
 * @returns the ACK payload (unframed), encoded like the inbound message
 */
export const handleInbound = async (db: TDb, raw: Buffer, context: TInboundContext = {}): Promise<Buffer> => {
  const parsed = parseMessage(raw);
  const inbound: TInbound = {
    parsed,
    bodyHash: bodyHash(raw),
    source: context.source,
  };
  const encode = (ack: string): Buffer => Buffer.from(ack, parsed.encoding);
  // Refusals are written like applied messages: through the driver-level store when there is one.
  const sql = sqlStoreFor(db);
  const write: TStoreWriter = sql ? sql.transaction : (fn) => fn(prismaAdtStore(db));
  const { header, adt } = parsed;
  if (sql?.cachesRows && ROW_CACHE && header?.controlId && adt && !parsed.error && isStoreEvent(adt)) {
    // One round trip when the rows the event reads are cached: the message row is inserted as new (a duplicate or an
    // earlier failed copy fails on its unique key) and every effect is conditional on the cached rows being current.
    // Anything else (a miss, a stale row, a duplicate) wrote nothing and takes the path below on fresh reads.
    try {
      return encode(await commit(db, { ...inbound, header, adt }, null, undefined, { cached: { guessAbsent: CREATING_EVENTS.has(adt.event) } }));
    } catch (error) {
      if (!(error instanceof StaleCacheError)) {
        throw error;
      }
    }
  }
  let previous: TPreviousMessage | null | undefined;
  let snapshot: TAdtSnapshot | undefined;
  try {
    ({ previous, snapshot } = await findPrevious(db, parsed, true));
  } catch (error) {
    return encode(await refuseMessage(write, inbound, databaseError(error, header?.controlId), undefined));
  }
  if (previous?.status === "processed") {
    if (previous.bodyHash === inbound.bodyHash) {
      log.info("duplicate message; stored ACK resent", { messageId: previous.id, controlId: header?.controlId });

      return encode(previous.ack);
    }
    const reused = new Hl7Error(207, "MSH^1^10", "duplicate MSH-10 control id with different content");

    return encode(await refuseMessage(write, inbound, reused, previous));
  }
  if (parsed.error || !header || !adt) {
    const error = parsed.error ?? new Hl7Error(207, "", "no event could be read");

    return encode(await refuseMessage(write, inbound, error, previous));
  }
  try {
    return encode(await commit(db, { ...inbound, header, adt }, previous, snapshot));
  } catch (error) {
    if (error instanceof Hl7Error) {
      return encode(await refuseMessage(write, inbound, error, previous));
    }
    const now = (await findPrevious(db, parsed).catch(() => undefined))?.previous;
    if (now?.status === "processed" && now.bodyHash === inbound.bodyHash) {
      return encode(now.ack);
    }

    return encode(await refuseMessage(write, inbound, databaseError(error, header.controlId), now ?? previous));
  }
};
