/**
 * The row cache of the driver-level ADT store (lib/worklist/adt-row-cache.ts, sql-adt-store.ts "cached attempt"):
 * on PostgreSQL a message whose reads are cached is applied in one statement whose preconditions check that every
 * row it read is still the version cached. These tests change rows behind the cache's back (another connection,
 * another listener process, a merge) and check that the stale entry never leads to a write on stale data and that the
 * message is then applied on fresh data. SQLite has no cache: the same scenarios must end in the same state there.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TAdtEvent } from "@/lib/hl7/adt-event";
import { adtRowCacheStats, handleInbound } from "@/lib/hl7/handle-inbound";
import { parseMessage } from "@/lib/hl7/parse-message";
import { applyAdtEventOnStore } from "@/lib/worklist/apply-adt-event";
import { listAdtReadKeys } from "@/lib/worklist/list-adt-read-keys";
import { openSqlAdtStore, StaleCacheError, type TSqlAdtStore } from "@/lib/worklist/sql-adt-store";
import { freePort } from "../../support/free-port";
import { startListenerProcess } from "../../support/hl7-listener-process";
import { connectMllp, fieldOf } from "../../support/mllp-client";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

type TMsg = { id: string; event: string; at: string; mrn: string; visit: string; poc?: string; name?: string; mrg?: string };

const text = (m: TMsg): string =>
  [
    `MSH|^~\\&|HIS|CITY|EC|EC|${m.at}||ADT^${m.event}^${m.event === "A40" ? "ADT_A39" : "ADT_A01"}|${m.id}|P|2.5.1`,
    `EVN|${m.event}|${m.at}`,
    `PID|1||${m.mrn}^^^CITY^MR||${m.name ?? "Doe^Jane"}||19700101|F`,
    ...(m.mrg ? [`MRG|${m.mrg}^^^CITY^MR`] : [`PV1|1|O|${m.poc ?? "DERM"}^1^1^CITY||||||||||||||||${m.visit}^^^CITY`]),
  ].join("\r");

const event = (m: TMsg): TAdtEvent => {
  const parsed = parseMessage(Buffer.from(text(m)));
  if (!parsed.adt) {
    throw new Error(`fixture did not parse: ${parsed.error?.message}`);
  }

  return parsed.adt;
};
const msa = (ack: Buffer | string): string[] => [1, 2, 3].map((i) => fieldOf(ack.toString(), "MSA", i));

describe("ADT row cache (driver-level store)", () => {
  let t: TTestDatabase;
  let store: TSqlAdtStore;
  const run = (e: TAdtEvent) => (s: Parameters<Parameters<TSqlAdtStore["transaction"]>[0]>[0]) =>
    applyAdtEventOnStore(s, e, { messageId: () => "unused" });
  /** As handleInbound does without a cache hit: prefetch (PostgreSQL), then the transaction on that snapshot. */
  const applyFresh = async (m: TMsg) => {
    const e = event(m);
    const snapshot = store.prefetch
      ? (await store.prefetch({ sendingFacility: "CITY", controlId: m.id }, listAdtReadKeys(e))).snapshot
      : undefined;

    return store.transaction(run(e), snapshot);
  };
  const applyCached = (m: TMsg) => store.transaction(run(event(m)), undefined, { cached: { guessAbsent: false } });
  const encounter = (visit: string) => t.db.encounter.findFirstOrThrow({ where: { visitNumber: visit } });

  beforeAll(async () => {
    t = await createTestDatabase();
    store = openSqlAdtStore(t.url);
  });
  afterAll(async () => {
    await store?.close();
    await t?.drop();
  });

  it("caches rows exactly on PostgreSQL, and a cached message is applied from the cache", async () => {
    expect(Boolean(store.cachesRows)).toBe(t.engine === "postgresql");
    await applyFresh({ id: "H1", event: "A04", at: "20240201100000", mrn: "H-1", visit: "HV1", poc: "HPOC" });
    if (!store.cachesRows) {
      return; // SQLite: the remaining tests check the same end states without a cache
    }
    const before = store.cacheStats!();
    await applyCached({ id: "H2", event: "A08", at: "20240201110000", mrn: "H-1", visit: "HV1", poc: "HPOC", name: "Roe^Jane" });
    expect(store.cacheStats!()).toEqual({ ...before, applied: before.applied + 1 });
    expect(await t.db.patient.findFirstOrThrow({ where: { mrn: "H-1" } })).toMatchObject({ familyName: "Roe" });
    // A row never read is a miss: nothing is guessed for an update event.
    await expect(applyCached({ id: "H3", event: "A08", at: "20240201110000", mrn: "H-2", visit: "HV2" })).rejects.toThrow(
      StaleCacheError,
    );
    expect(store.cacheStats!().missed).toBe(before.missed + 1);
    expect(await t.db.patient.count({ where: { mrn: "H-2" } })).toBe(0);
  });

  it("a location mapping changed by another connection after it was cached: nothing is written from the cache, the move gets the new department", async () => {
    const d1 = await t.db.department.create({ data: { code: "RC-D1", name: "Cache one" } });
    const d2 = await t.db.department.create({ data: { code: "RC-D2", name: "Cache two" } });
    const mapping = await t.db.locationMapping.create({ data: { facilityCode: "CITY", pointOfCare: "RCA", departmentId: d1.id } });
    await applyFresh({ id: "C1", event: "A04", at: "20240202100000", mrn: "C-1", visit: "CV1", poc: "RCB" });
    // Another patient at RCA: the mapping RCA → d1 is now cached.
    await applyFresh({ id: "C2", event: "A04", at: "20240202100000", mrn: "C-2", visit: "CV2", poc: "RCA" });
    expect((await encounter("CV2")).departmentId).toBe(d1.id);
    // An admin remaps RCA (another connection; this process's cache does not know).
    await t.db.locationMapping.update({ where: { id: mapping.id }, data: { departmentId: d2.id } });
    const move = { id: "C3", event: "A08", at: "20240202110000", mrn: "C-1", visit: "CV1", poc: "RCA" };
    if (store.cachesRows) {
      await expect(applyCached(move)).rejects.toThrow(StaleCacheError);
      expect(await encounter("CV1")).toMatchObject({ pointOfCare: "RCB", departmentId: null });
    }
    await applyFresh(move);
    expect(await encounter("CV1")).toMatchObject({ pointOfCare: "RCA", departmentId: d2.id });
  });

  it("a row changed by a transaction that commits while the write statement waits for its lock: the version guard on the update fails it", async () => {
    const d3 = await t.db.department.create({ data: { code: "RC-D3", name: "Cache three" } });
    await applyFresh({ id: "L1", event: "A04", at: "20240203100000", mrn: "L-1", visit: "LV1", poc: "RCL" });
    if (!store.cachesRows) {
      return; // SQLite: one writer at a time, no such interleaving
    }
    const other = new pg.Client({ connectionString: t.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query(`UPDATE "Encounter" SET "departmentId" = $1 WHERE "visitNumber" = 'LV1'`, [d3.id]);
      // Same place: the cached department (none) would be written back over d3 if the version were not re-checked.
      const cached = applyCached({ id: "L2", event: "A08", at: "20240203110000", mrn: "L-1", visit: "LV1", poc: "RCL", name: "Lock^Jane" });
      const settled = cached.then(
        () => "applied",
        (error: unknown) => (error instanceof StaleCacheError ? "stale" : String(error)),
      );
      await new Promise((r) => setTimeout(r, 300));
      await other.query("COMMIT");
      expect(await settled).toBe("stale");
    } finally {
      await other.end();
    }
    expect(await encounter("LV1")).toMatchObject({ departmentId: d3.id });
    expect(await t.db.patient.findFirstOrThrow({ where: { mrn: "L-1" } })).toMatchObject({ familyName: "Doe" });
    await applyFresh({ id: "L2", event: "A08", at: "20240203110000", mrn: "L-1", visit: "LV1", poc: "RCL", name: "Lock^Jane" });
    expect(await encounter("LV1")).toMatchObject({ departmentId: d3.id });
    expect(await t.db.patient.findFirstOrThrow({ where: { mrn: "L-1" } })).toMatchObject({ familyName: "Lock" });
  });
});

describe("ADT row cache through handleInbound", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());
  const send = async (m: TMsg) => msa(await handleInbound(t.db, Buffer.from(text(m))));

  it("an A40 merge after cached reads: A08s for the merged visit (survivor's and old MRN) are applied to the survivor", async () => {
    expect(await send({ id: "M1", event: "A04", at: "20240301100000", mrn: "800", visit: "E800" })).toEqual(["AA", "M1", ""]);
    expect(await send({ id: "M2", event: "A04", at: "20240301100000", mrn: "801", visit: "E801" })).toEqual(["AA", "M2", ""]);
    expect(await send({ id: "M3", event: "A08", at: "20240301110000", mrn: "801", visit: "E801", poc: "WARD1" })).toEqual(["AA", "M3", ""]);
    const survivor = await t.db.patient.findFirstOrThrow({ where: { mrn: "800" } });
    expect(await send({ id: "M4", event: "A40", at: "20240302100000", mrn: "800", visit: "", mrg: "801" })).toEqual(["AA", "M4", ""]);
    const statsBefore = adtRowCacheStats(t.db);

    // The cache still holds E801 as the prior patient's visit, and the prior patient itself.
    expect(await send({ id: "M5", event: "A08", at: "20240302110000", mrn: "800", visit: "E801", poc: "WARD2", name: "Merged^Jane" })).toEqual(["AA", "M5", ""]);
    expect(await t.db.encounter.findFirstOrThrow({ where: { visitNumber: "E801" } })).toMatchObject({
      patientId: survivor.id,
      pointOfCare: "WARD2",
    });
    expect(await t.db.patient.findUniqueOrThrow({ where: { id: survivor.id } })).toMatchObject({ familyName: "Merged" });
    expect(await send({ id: "M6", event: "A08", at: "20240302120000", mrn: "801", visit: "E801", poc: "WARD3", name: "Alias^Jane" })).toEqual(["AA", "M6", ""]);
    expect(await t.db.encounter.findFirstOrThrow({ where: { visitNumber: "E801" } })).toMatchObject({
      patientId: survivor.id,
      pointOfCare: "WARD3",
    });
    expect(await t.db.patient.findUniqueOrThrow({ where: { id: survivor.id } })).toMatchObject({ familyName: "Alias" });
    expect(await t.db.patient.count({ where: { mrn: "801" } })).toBe(0);
    const m6 = await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "M6" } });
    expect(m6).toMatchObject({ status: "processed", patientId: survivor.id });
    if (t.engine === "postgresql") {
      // Both went to the cache first and fell back on fresh reads.
      expect(adtRowCacheStats(t.db)!.failed).toBeGreaterThanOrEqual(statsBefore!.failed + 2);
    }
    // After the fresh reads the cache is current again: the next update is applied from it.
    const applied = adtRowCacheStats(t.db)?.applied ?? 0;
    expect(await send({ id: "M7", event: "A08", at: "20240302130000", mrn: "801", visit: "E801", poc: "WARD3", name: "Again^Jane" })).toEqual(["AA", "M7", ""]);
    expect(await t.db.patient.findUniqueOrThrow({ where: { id: survivor.id } })).toMatchObject({ familyName: "Again" });
    if (t.engine === "postgresql") {
      expect(adtRowCacheStats(t.db)!.applied).toBe(applied + 1);
    }
  });

  it("a duplicate of a message applied from the cache gets the stored ACK and changes nothing", async () => {
    const m = { id: "D1", event: "A08", at: "20240302140000", mrn: "800", visit: "E800", poc: "DUP1" };
    const first = await handleInbound(t.db, Buffer.from(text(m)));
    expect(msa(first)[0]).toBe("AA");
    await t.db.encounter.updateMany({ where: { visitNumber: "E800" }, data: { room: "kept" } });
    const again = await handleInbound(t.db, Buffer.from(text(m)));
    expect(again.toString()).toBe(first.toString());
    expect(await t.db.hl7Message.count({ where: { controlId: "D1" } })).toBe(1);
    expect((await t.db.encounter.findFirstOrThrow({ where: { visitNumber: "E800" } })).room).toBe("kept");
  });
});

describe("ADT row cache with two listener processes", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    await t.db.$disconnect();
  });
  afterAll(async () => t?.drop());

  it("a discharge through the second listener makes the first one's cached visit stale: its cancel of the discharge is applied on fresh data", async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const one = await startListenerProcess({ databaseUrl: t.url, dataDir: t.dataDir, port: p1 });
    const two = await startListenerProcess({ databaseUrl: t.url, dataDir: t.dataDir, port: p2 });
    try {
      const c1 = await connectMllp(p1);
      const c2 = await connectMllp(p2);
      const via = async (c: typeof c1, m: TMsg) => msa(await c.send(text(m)));
      expect(await via(c1, { id: "P1", event: "A04", at: "20240401100000", mrn: "900", visit: "E900", poc: "WARD1" })).toEqual(["AA", "P1", ""]);
      expect(await via(c1, { id: "P2", event: "A08", at: "20240401110000", mrn: "900", visit: "E900", poc: "WARD1" })).toEqual(["AA", "P2", ""]);
      expect(await via(c2, { id: "P3", event: "A03", at: "20240401120000", mrn: "900", visit: "E900", poc: "WARD1", name: "Other^Jane" })).toEqual(["AA", "P3", ""]);
      // Listener one cached the visit as active: a cancel of the discharge must reactivate it (A13 sets "active"
      // only on a discharged visit) and keep listener two's name as the patient's.
      expect(await via(c1, { id: "P4", event: "A13", at: "20240401130000", mrn: "900", visit: "E900", poc: "WARD1" })).toEqual(["AA", "P4", ""]);
      const e = await t.db.encounter.findFirstOrThrow({ where: { visitNumber: "E900" } });
      expect(e).toMatchObject({ status: "active", dischargedAt: null });
      expect(e.lastEventAt?.toISOString()).toBe("2024-04-01T13:00:00.000Z");
      expect(await t.db.patient.findFirstOrThrow({ where: { mrn: "900" } })).toMatchObject({ familyName: "Other" });
      // And an update through listener one after that is applied (its cache is current again).
      expect(await via(c1, { id: "P5", event: "A08", at: "20240401140000", mrn: "900", visit: "E900", poc: "WARD5", name: "Last^Jane" })).toEqual(["AA", "P5", ""]);
      expect(await t.db.encounter.findFirstOrThrow({ where: { visitNumber: "E900" } })).toMatchObject({ status: "active", pointOfCare: "WARD5" });
      expect(await t.db.patient.findFirstOrThrow({ where: { mrn: "900" } })).toMatchObject({ familyName: "Last" });
      await c1.close();
      await c2.close();
    } finally {
      await one.stop();
      await two.stop();
    }
  });
});
