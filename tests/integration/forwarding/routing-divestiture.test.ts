/**
 * Divestiture: the CSV of one facility lists every instance of that facility and nothing of another; re-delivering
 * that set to a new archive (a real Orthanc) stores every instance there, a second re-delivery adds nothing, and an
 * instance whose local copy was purged is counted, not queued.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/roles";
import { createCapture } from "@/lib/capture/create-capture";
import { createDestination } from "@/lib/forwarding/create-destination";
import { exportDeliveries } from "@/lib/forwarding/export-deliveries";
import { redeliverInstances } from "@/lib/forwarding/redeliver-instances";
import { saveRoutingRule } from "@/lib/forwarding/save-routing-rule";
import { seedDemo } from "@/lib/setup/seed-demo";
import { startForwarder } from "@/lib/workers/forwarder";
import { waitFor } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const FAST = { pollMs: 50, leaseMs: 10_000, timeoutMs: 5_000, retryPolicy: { baseMs: 100, capMs: 400 } };

/** Minimal RFC 4180 reader for the test (quoted fields, doubled quotes). */
const parseCsv = (text: string): string[][] =>
  text
    .split("\r\n")
    .filter((l) => l !== "")
    .map((line) => {
      const out: string[] = [];
      let i = 0;
      while (i <= line.length) {
        if (line[i] === '"') {
          let v = "";
          i += 1;
          while (i < line.length && !(line[i] === '"' && line[i + 1] !== '"')) {
            v += line[i] === '"' ? '"' : (line[i] as string);
            i += line[i] === '"' ? 2 : 1;
          }
          out.push(v);
          i += 2;
        } else {
          const end = line.indexOf(",", i) === -1 ? line.length : line.indexOf(",", i);
          out.push(line.slice(i, end));
          i = end + 1;
        }
      }

      return out;
    });

describe("divestiture export and re-delivery", () => {
  let t: TTestDatabase;
  let current: TOrthanc;
  let newOwner: TOrthanc;
  let admin: TSessionUser;
  const sopsOf: Record<"A" | "B", string[]> = { A: [], B: [] };
  let facilityA: string;
  let ruleId: string;
  let newOwnerId: string;

  const capture = async (encounterId: string, procedureId: string, files: number): Promise<string[]> => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-divest-"));
    const list = [];
    for (let i = 0; i < files; i += 1) {
      const tempPath = path.join(dir, `p${i}.jpg`);
      const jpeg = await sharp({ create: { width: 48, height: 32, channels: 3, background: { r: 10 * i, g: 90, b: 200 } } }).jpeg().toBuffer();
      fs.writeFileSync(tempPath, jpeg);
      list.push({ field: "file", originalName: `p${i}.jpg`, mimeType: "image/jpeg", tempPath, size: jpeg.length, sha256: "" });
    }
    const c = await createCapture(t.db, admin, { encounterId, procedureId, files: list }, { dataDir: t.dataDir });

    return c.instances.map((i) => i.sopInstanceUid);
  };

  beforeAll(async () => {
    [t, current, newOwner] = await Promise.all([createTestDatabase(), startOrthanc(), startOrthanc()]);
    await seedDemo(t.db, { password: "not-used-here" });
    const u = await t.db.user.findUniqueOrThrow({ where: { email: "admin@example.org" } });
    admin = { id: u.id, email: u.email, name: u.name, role: "admin", departmentIds: [] };
    const derm = await t.db.department.findUniqueOrThrow({ where: { code: "DERM" } });
    const a = await t.db.facility.findUniqueOrThrow({ where: { code: "GENHOSP" } });
    const b = await t.db.facility.create({ data: { code: "NORTH", name: "North Clinic", mrnAuthority: "NORTH" } });
    facilityA = a.id;
    const item = (await t.db.catalogItem.findFirstOrThrow({ where: { code: "DERM-TBP" } })).id;
    const currentId = (await createDestination(t.db, { name: "current-vna", url: current.stowUrl })).id;
    ruleId = (await saveRoutingRule(t.db, admin, { name: "Everything", destinationIds: [currentId], institutionName: "Enterprise" })).id;
    for (const [key, facility, mrn] of [["A", a, "DV-A1"], ["A", a, "DV-A2"], ["B", b, "DV-B1"]] as const) {
      const patient = await t.db.patient.create({ data: { mrn, issuer: facility.mrnAuthority, familyName: "Divest", givenName: "Test" } });
      const enc = await t.db.encounter.create({
        data: { patientId: patient.id, visitNumber: `V-${mrn}`, visitIssuer: facility.code, facilityId: facility.id, departmentId: derm.id },
      });
      sopsOf[key].push(...(await capture(enc.id, item, 2)));
    }
    newOwnerId = (await createDestination(t.db, { name: "new-owner", url: newOwner.stowUrl, enabled: true })).id;
    const forwarder = await startForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    try {
      await waitFor("6 stored", async () => (await t.db.deliveryJob.count({ where: { status: "stored" } })) === 6);
    } finally {
      await forwarder.stop();
    }
  });
  afterAll(async () => {
    await Promise.all([current?.dispose(), newOwner?.dispose()]);
    await t?.drop();
  });

  it("the CSV of facility A lists all of A and nothing of B, with each destination's status", async () => {
    const { lines, count, fileName } = await exportDeliveries(t.db, admin, { facilityId: facilityA });
    let text = "";
    for await (const line of lines) {
      text += line;
    }
    const [header, ...rows] = parseCsv(text);
    expect(count).toBe(4);
    expect(fileName).toBe("deliveries-facility-GENHOSP.csv");
    expect(header).toEqual(expect.arrayContaining(["patient_id", "issuer_of_patient_id", "visit_number", "study_instance_uid", "series_instance_uid", "sop_instance_uid", "sop_class_uid", "catalog_code", "created_at", "current-vna status", "current-vna stored_at", "new-owner status"]));
    const col = (name: string): number => header!.indexOf(name);
    expect(rows.map((r) => r[col("sop_instance_uid")]).sort()).toEqual([...sopsOf.A].sort());
    expect(rows.every((r) => r[col("current-vna status")] === "stored" && /^\d{4}-/.test(r[col("current-vna stored_at")]!))).toBe(true);
    expect(rows.map((r) => r[col("patient_id")]).sort()).toEqual(["DV-A1", "DV-A1", "DV-A2", "DV-A2"]);
    expect(rows.every((r) => r[col("issuer_of_patient_id")] === "GENHOSP" && r[col("catalog_code")] === "DERM-TBP")).toBe(true);
    expect(text).not.toMatch(/DV-B1/);
    for (const sop of sopsOf.B) {
      expect(text).not.toContain(sop);
    }
    expect(await t.db.auditEvent.count({ where: { action: "delivery.export", userId: admin.id } })).toBe(1);
    // By rule: every instance the rule routed (both facilities).
    const byRule = await exportDeliveries(t.db, admin, { ruleId });
    expect(byRule.count).toBe(6);
    await expect(exportDeliveries(t.db, { ...admin, role: "manager" }, { facilityId: facilityA })).rejects.toMatchObject({ code: "forbidden" });
  });

  it("re-delivers facility A to a new archive: all arrive, a second click adds nothing, purged copies are reported", async () => {
    // One instance of A lost its local copy (purged after delivery): it cannot be re-sent.
    const purged = await t.db.instance.update({ where: { sopInstanceUid: sopsOf.A[3]! }, data: { purgedAt: new Date() } });
    const preview = await redeliverInstances(t.db, admin, { scope: { facilityId: facilityA }, destinationId: newOwnerId, dryRun: true });
    expect(preview).toEqual({ total: 4, queued: 3, alreadyQueued: 0, purged: 1 });
    expect(await t.db.deliveryJob.count({ where: { destinationId: newOwnerId } })).toBe(0);

    const first = await redeliverInstances(t.db, admin, { scope: { facilityId: facilityA }, destinationId: newOwnerId });
    expect(first).toEqual({ total: 4, queued: 3, alreadyQueued: 0, purged: 1 });
    const jobs = await t.db.deliveryJob.findMany({ where: { destinationId: newOwnerId } });
    expect(jobs.map((j) => [j.origin, j.ruleVersionId])).toEqual([["redelivery", null], ["redelivery", null], ["redelivery", null]]);
    const forwarder = await startForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    try {
      await waitFor("3 re-delivered", async () => (await t.db.deliveryJob.count({ where: { destinationId: newOwnerId, status: "stored" } })) === 3);
    } finally {
      await forwarder.stop();
    }
    expect((await newOwner.listSopInstanceUids()).sort()).toEqual(sopsOf.A.filter((s) => s !== purged.sopInstanceUid).sort());

    const second = await redeliverInstances(t.db, admin, { scope: { facilityId: facilityA }, destinationId: newOwnerId });
    expect(second).toEqual({ total: 4, queued: 0, alreadyQueued: 3, purged: 1 });
    expect(await t.db.deliveryJob.count({ where: { destinationId: newOwnerId } })).toBe(3);
    expect(await t.db.auditEvent.count({ where: { action: "delivery.redeliver" } })).toBe(2);
  });
});
