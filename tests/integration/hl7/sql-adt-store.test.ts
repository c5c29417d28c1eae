/**
 * The driver-level ADT store (lib/worklist/sql-adt-store.ts) on the real database (TEST_DB): the PostgreSQL
 * prefetch (one round trip for the message key and the rows an event reads), a snapshot that went stale before the
 * commit, and the same event logic on SQLite (which has no prefetch).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/hl7/parse-message";
import type { TAdtEvent } from "@/lib/hl7/adt-event";
import { applyAdtEventOnStore } from "@/lib/worklist/apply-adt-event";
import { listAdtReadKeys } from "@/lib/worklist/list-adt-read-keys";
import { openSqlAdtStore, type TSqlAdtStore } from "@/lib/worklist/sql-adt-store";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const event = (id: string, trigger: string, at: string, mrn: string, visit: string, poc = "DERM"): TAdtEvent => {
  const parsed = parseMessage(
    Buffer.from(
      [
        `MSH|^~\\&|HIS|CITY|EC|EC|${at}||ADT^${trigger}^ADT_A01|${id}|P|2.5.1`,
        `EVN|${trigger}|${at}`,
        `PID|1||${mrn}^^^CITY^MR||Doe^Jane||19700101|F`,
        `PV1|1|O|${poc}^1^1^CITY||||||||||||||||${visit}^^^CITY`,
      ].join("\r"),
    ),
  );
  if (!parsed.adt) {
    throw new Error(`fixture did not parse: ${parsed.error?.message}`);
  }

  return parsed.adt;
};

describe("driver-level ADT store", () => {
  let t: TTestDatabase;
  let store: TSqlAdtStore;
  const apply = (e: TAdtEvent, snapshot?: Parameters<TSqlAdtStore["transaction"]>[1]) =>
    store.transaction((s) => applyAdtEventOnStore(s, e, { messageId: () => "unused" }), snapshot);

  beforeAll(async () => {
    t = await createTestDatabase();
    store = openSqlAdtStore(t.url);
  });
  afterAll(async () => {
    await store?.close();
    await t?.drop();
  });

  it("offers the one-round-trip prefetch exactly on PostgreSQL", () => {
    expect(Boolean(store.prefetch)).toBe(t.engine === "postgresql");
  });

  it("prefetch returns the stored message and a snapshot that answers like the database", async () => {
    if (!store.prefetch) {
      return; // SQLite: covered by the remaining tests
    }
    const dept = await t.db.department.create({ data: { code: "PF-D", name: "Prefetch derm" } });
    const other = await t.db.department.create({ data: { code: "PF-X", name: "Generic" } });
    await t.db.locationMapping.create({ data: { facilityCode: "", pointOfCare: "PFPOC", departmentId: other.id } });
    await t.db.locationMapping.create({ data: { facilityCode: "CITY", pointOfCare: "PFPOC", departmentId: dept.id } });
    const first = event("PF1", "A04", "20240101100000", "PF-100", "PFV1", "PFPOC");
    await apply(first);
    const row = await t.db.hl7Message.create({
      data: {
        sendingApp: "HIS", sendingFacility: "CITY", controlId: "PF-MSG", messageType: "ADT", triggerEvent: "A08",
        version: "2.5.1", bodyHash: "h", raw: "MSH|", status: "processed", ackCode: "AA", ack: "MSH|ACK", error: "",
      },
    });
    const update = event("PF2", "A08", "20240101110000", "PF-100", "PFV1", "PFPOC");
    const { message, snapshot } = await store.prefetch(
      { sendingFacility: "CITY", controlId: "PF-MSG" },
      listAdtReadKeys(update),
    );
    expect(message).toEqual({ id: row.id, status: "processed", bodyHash: "h", ack: "MSH|ACK" });
    const patient = await t.db.patient.findUniqueOrThrow({ where: { mrn_issuer: { mrn: "PF-100", issuer: "CITY" } } });
    expect(snapshot.facility?.code).toBe("CITY");
    expect(snapshot.patients.get("PF-100\u001fCITY")).toEqual({
      id: patient.id, mrn: "PF-100", issuer: "CITY", lastEventAt: patient.lastEventAt,
    });
    expect(snapshot.encounters).toHaveLength(1);
    expect(snapshot.encounters[0]).toMatchObject({ patientId: patient.id, departmentId: dept.id, visitNumber: "PFV1" });
    expect(snapshot.encounters[0]!.lastEventAt?.toISOString()).toBe("2024-01-01T10:00:00.000Z");
    expect(snapshot.mappings.get("CITY\u001fPFPOC")?.map((m) => m.departmentId).sort()).toEqual(
      [dept.id, other.id].sort(),
    );
    const none = await store.prefetch({ sendingFacility: "CITY", controlId: "nope" }, listAdtReadKeys(update));
    expect(none.message).toBeNull();
  });

  it("a patient created by another connection after the prefetch: the commit retries and keeps one patient", async () => {
    const a04 = event("R1", "A04", "20240102100000", "RACE-1", "RACEV1");
    const prefetched = store.prefetch
      ? (await store.prefetch({ sendingFacility: "CITY", controlId: "R1" }, listAdtReadKeys(a04))).snapshot
      : undefined;
    // Another listener wins the race for the same patient (and the facility already exists).
    await t.db.patient.create({
      data: { mrn: "RACE-1", issuer: "CITY", familyName: "Doe", givenName: "Jane", searchText: "doe jane race-1" },
    });
    const result = await apply(a04, prefetched);
    expect(result.applied).toBe(true);
    const patients = await t.db.patient.findMany({ where: { mrn: "RACE-1" } });
    expect(patients).toHaveLength(1);
    const encounter = await t.db.encounter.findFirstOrThrow({ where: { visitNumber: "RACEV1" } });
    expect(encounter.patientId).toBe(patients[0]!.id);
    expect(patients[0]!.lastEventAt?.toISOString()).toBe("2024-01-02T10:00:00.000Z");
  });

  it("a newer event committed after the prefetch: the stale reads are redone and the older event is not applied", async () => {
    await apply(event("S1", "A04", "20240103100000", "STALE-1", "STALEV1"));
    const older = event("S2", "A08", "20240103110000", "STALE-1", "STALEV1", "WOUND");
    const prefetched = store.prefetch
      ? (await store.prefetch({ sendingFacility: "CITY", controlId: "S2" }, listAdtReadKeys(older))).snapshot
      : undefined;
    // Another connection commits a newer discharge after the snapshot was read.
    await apply(event("S3", "A03", "20240103120000", "STALE-1", "STALEV1"));
    const result = await apply(older, prefetched);
    expect(result.applied).toBe(false);
    expect(result.notes.join("; ")).toContain("older than the encounter's last event");
    const encounter = await t.db.encounter.findFirstOrThrow({ where: { visitNumber: "STALEV1" } });
    expect(encounter).toMatchObject({ status: "discharged", pointOfCare: "DERM" });
    expect(encounter.lastEventAt?.toISOString()).toBe("2024-01-03T12:00:00.000Z");
    const patient = await t.db.patient.findFirstOrThrow({ where: { mrn: "STALE-1" } });
    expect(patient.lastEventAt?.toISOString()).toBe("2024-01-03T12:00:00.000Z");
  });
});
