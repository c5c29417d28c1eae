import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMessages } from "@/lib/hl7/find-messages";
import { handleInbound } from "@/lib/hl7/handle-inbound";
import { reprocessMessage } from "@/lib/hl7/reprocess-message";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const fixture = (name: string): Buffer => fs.readFileSync(`tests/fixtures/hl7/${name}`);

describe("HL7 message log", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  it("filters by type, status and MRN", async () => {
    await handleInbound(t.db, fixture("a04-derm-outpatient.hl7"));
    await handleInbound(t.db, fixture("a04-missing-pid3.hl7"));
    const all = await findMessages(t.db, {});
    expect(all.total).toBe(2);
    expect((await findMessages(t.db, { type: "ADT^A04", status: "processed" })).rows).toHaveLength(1);
    expect((await findMessages(t.db, { status: "error" })).rows.map((r) => r.ackCode)).toEqual(["AE"]);
    expect((await findMessages(t.db, { mrn: "100001" })).rows.map((r) => r.controlId)).toEqual(["DERM0001"]);
    expect((await findMessages(t.db, { mrn: "nobody" })).total).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    expect((await findMessages(t.db, { from: today, to: today })).total).toBe(2);
    expect((await findMessages(t.db, { to: "2000-01-01" })).total).toBe(0);
  });

  it("reprocesses a failed message and refuses to reprocess a processed one", async () => {
    // A message that failed on a database error earlier: stored with status error, effect not applied.
    const raw = fixture("a04-wound-care.hl7").toString("utf8");
    const failed = await t.db.hl7Message.create({
      data: { sendingApp: "HIS", sendingFacility: "GENHOSP", controlId: "WOUND0001", messageType: "ADT", triggerEvent: "A04", version: "2.5.1", bodyHash: "x", raw, status: "error", ackCode: "AE", error: "database error" },
    });
    const before = await t.db.patient.count();
    const r = await reprocessMessage(t.db, failed.id);
    expect(r.ackCode).toBe("AA");
    expect(await t.db.patient.count()).toBe(before + 1);
    // The failed row itself is now processed: the log shows one message, not a failure plus a success.
    expect(await t.db.hl7Message.findUniqueOrThrow({ where: { id: failed.id } })).toMatchObject({ status: "processed", ackCode: "AA" });
    expect(await t.db.hl7Message.count({ where: { controlId: "WOUND0001" } })).toBe(1);
    const processed = await t.db.hl7Message.findFirstOrThrow({ where: { status: "processed", controlId: "DERM0001" } });
    await expect(reprocessMessage(t.db, processed.id)).rejects.toMatchObject({ code: "conflict" });
  });
});
