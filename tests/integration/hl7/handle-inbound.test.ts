/**
 * handleInbound + applyAdtEvent against a real database (TEST_DB): failure paths, races and field semantics that
 * are awkward to drive through a socket.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TDb } from "@/lib/db";
import { handleInbound } from "@/lib/hl7/handle-inbound";
import { fieldOf } from "../../support/mllp-client";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

type TAdt = { id: string; event?: string; at: string; pid3?: string; pid?: Record<number, string>; pv1?: Record<number, string> };

/** A segment from positioned fields. */
const seg = (id: string, fields: Record<number, string>): string => {
  const last = Math.max(...Object.keys(fields).map(Number));

  return [id, ...Array.from({ length: last }, (_, i) => fields[i + 1] ?? "")].join("|");
};

const adt = (o: TAdt): Buffer => {
  const event = o.event ?? "A08";
  const text = [
    `MSH|^~\\&|HIS|CITY|EC|EC|${o.at}||ADT^${event}^ADT_A01|${o.id}|P|2.5.1`,
    `EVN|${event}|${o.at}`,
    seg("PID", { 1: "1", 3: o.pid3 ?? "500^^^CITY^MR", 5: "Doe^Jane", 7: "19700101", 8: "F", ...o.pid }),
    seg("PV1", { 1: "1", 2: "O", 3: "DERM^1^1^CITY", 19: "E500^^^CITY", ...o.pv1 }),
  ].join("\r");

  return Buffer.from(text);
};
const msa = (ack: Buffer): string[] => [1, 2].map((i) => fieldOf(ack.toString(), "MSA", i));

describe("handleInbound", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  const patient = () => t.db.patient.findUniqueOrThrow({ where: { mrn_issuer: { mrn: "500", issuer: "CITY" } } });

  it("creates the facility with the MR authority and prefers the facility-specific location mapping", async () => {
    const dept = await t.db.department.create({ data: { code: "D-CITY", name: "City derm" } });
    const generic = await t.db.department.create({ data: { code: "D-ANY", name: "Any derm" } });
    await t.db.locationMapping.create({ data: { facilityCode: "", pointOfCare: "DERM", departmentId: generic.id } });
    await t.db.locationMapping.create({ data: { facilityCode: "CITY", pointOfCare: "DERM", departmentId: dept.id } });
    const ack = await handleInbound(t.db, adt({ id: "F1", event: "A04", at: "20240101100000", pid3: "X1^^^NAT^NI~500^^^CITY^MR" }));
    expect(msa(ack)).toEqual(["AA", "F1"]);
    expect(await t.db.facility.findUniqueOrThrow({ where: { code: "CITY" } })).toMatchObject({ mrnAuthority: "CITY" });
    const e = await t.db.encounter.findFirstOrThrow({ where: { visitNumber: "E500" } });
    expect(e).toMatchObject({ departmentId: dept.id, visitIssuer: "CITY" });
    expect((await patient()).mrn).toBe("500");
  });

  it("keeps fields an A08 leaves empty, and clears those sent as \"\"", async () => {
    await handleInbound(t.db, adt({ id: "N1", at: "20240101110000", pid: { 7: "", 8: '""' }, pv1: { 3: "" } }));
    const p = await patient();
    expect(p).toMatchObject({ birthDate: "19700101", sex: "" });
    expect(await t.db.encounter.findFirstOrThrow({ where: { visitNumber: "E500" } })).toMatchObject({ pointOfCare: "DERM" });
  });

  it("refuses a visit number that belongs to another patient (AE 207 at PV1-19) and rolls back", async () => {
    const before = await t.db.patient.count();
    const ack = await handleInbound(t.db, adt({ id: "O1", at: "20240101120000", pid3: "501^^^CITY^MR" }));
    expect(msa(ack)).toEqual(["AE", "O1"]);
    expect(fieldOf(ack.toString(), "ERR", 2)).toBe("PV1^1^19");
    expect(await t.db.patient.count()).toBe(before);
    expect(await t.db.hl7Message.findFirst({ where: { controlId: "O1" } })).toMatchObject({ status: "error", ackCode: "AE" });
  });

  it("answers AE (never AA) when the transaction fails, keeps the message, and processes its resend", async () => {
    const failing = new Proxy(t.db, {
      get: (target, prop, receiver) =>
        prop === "$transaction" ? () => Promise.reject(new Error("database is locked")) : Reflect.get(target, prop, receiver),
    }) as TDb;
    const message = adt({ id: "DB1", at: "20240101130000", pid: { 5: "Doe^Janet" } });
    const ack = await handleInbound(failing, message);
    expect(msa(ack)).toEqual(["AE", "DB1"]);
    expect(fieldOf(ack.toString(), "ERR", 3)).toMatch(/^207\^/);
    const row = await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "DB1" } });
    expect(row).toMatchObject({ status: "error", ackCode: "AE" });
    expect((await patient()).givenName).toBe("Jane");

    const retry = await handleInbound(t.db, message);
    expect(msa(retry)).toEqual(["AA", "DB1"]);
    expect(await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "DB1" } })).toMatchObject({ id: row.id, status: "processed" });
    expect((await patient()).givenName).toBe("Janet");
  });

  it("answers AE when the database cannot even be read", async () => {
    const down = new Proxy(t.db, {
      get: (target, prop, receiver) =>
        prop === "hl7Message"
          ? { findUnique: () => Promise.reject(new Error("connection refused")) }
          : Reflect.get(target, prop, receiver),
    }) as TDb;
    expect(msa(await handleInbound(down, adt({ id: "DOWN1", at: "20240101140000" })))).toEqual(["AE", "DOWN1"]);
  });

  it("the same message arriving on several connections at once is applied once; every copy gets the same ACK", async () => {
    const message = adt({ id: "RACE1", at: "20240101150000", pid: { 5: "Doe^Race" } });
    const acks = await Promise.all([1, 2, 3].map(() => handleInbound(t.db, message)));
    expect(acks.map((a) => msa(a)[0])).toEqual(["AA", "AA", "AA"]);
    expect(new Set(acks.map((a) => a.toString())).size).toBe(1);
    expect(await t.db.hl7Message.count({ where: { controlId: "RACE1" } })).toBe(1);
    const row = await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "RACE1" } });
    expect(await t.db.auditEvent.count({ where: { subject: row.id } })).toBe(1);
  });

  it("keeps demographics when another encounter of the patient has a newer event", async () => {
    await handleInbound(t.db, adt({ id: "V2", event: "A04", at: "20240301000000", pv1: { 19: "E501" }, pid: { 5: "Doe^Newest" } }));
    const older = adt({ id: "V1OLD", at: "20240201000000", pid: { 5: "Doe^Older" }, pv1: { 3: "DERM^9^9^CITY" } });
    const ack = await handleInbound(t.db, older);
    expect(msa(ack)).toEqual(["AA", "V1OLD"]);
    expect((await patient()).givenName).toBe("Newest");
    expect(await t.db.encounter.findFirstOrThrow({ where: { visitNumber: "E500" } })).toMatchObject({ room: "9" });
  });
});
