/**
 * Routing buckets end to end against real Orthancs: rules route captures to destinations with their bucket's
 * identity stamped into the bytes sent (STOW-RS and C-STORE), the catalog item's bucket overrides conditions, no
 * rules means every enabled destination, rules without a match leave the capture unrouted (listed, audited), rule
 * edits version the jobs, and the preview answers what enqueueing does.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/roles";
import { createCapture } from "@/lib/capture/create-capture";
import { createDestination } from "@/lib/forwarding/create-destination";
import { stampBucketIdentity } from "@/lib/forwarding/stamp-bucket-identity";
import { findUnroutedInstances, routeUnroutedInstances } from "@/lib/forwarding/find-unrouted-instances";
import { previewRouting } from "@/lib/forwarding/preview-routing";
import { saveRoutingRule } from "@/lib/forwarding/save-routing-rule";
import { setRoutingRuleActive } from "@/lib/forwarding/set-routing-rule-active";
import { reorderRoutingRules } from "@/lib/forwarding/reorder-routing-rules";
import { claimNextJobs } from "@/lib/forwarding/claim-next-jobs";
import { seedDemo } from "@/lib/setup/seed-demo";
import { startForwarder } from "@/lib/workers/forwarder";
import { runDciodvfy, runDcmdump } from "../../support/dicom-tools";
import { waitFor } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const FAST = { pollMs: 50, leaseMs: 10_000, timeoutMs: 5_000, retryPolicy: { baseMs: 100, capMs: 400 } };

describe("routing buckets", () => {
  let t: TTestDatabase;
  let stow: TOrthanc;
  let dimse: TOrthanc;
  let admin: TSessionUser;
  let encounterId: string;
  let dermItemId: string;
  let giItemId: string;
  const dest: Record<string, string> = {};

  const capture = async (procedureId: string, enc = encounterId): Promise<{ studyId: string; instanceIds: string[] }> => {
    const tempPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ec-routing-")), "photo.jpg");
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 30, g: 140, b: 60 } } }).jpeg().toBuffer();
    fs.writeFileSync(tempPath, jpeg);
    const c = await createCapture(
      t.db,
      admin,
      { encounterId: enc, procedureId, files: [{ field: "file", originalName: "photo.jpg", mimeType: "image/jpeg", tempPath, size: jpeg.length, sha256: "" }] },
      { dataDir: t.dataDir },
    );
    const instances = await t.db.instance.findMany({ where: { series: { studyId: c.id } }, select: { id: true } });

    return { studyId: c.id, instanceIds: instances.map((i) => i.id) };
  };
  const jobsOf = (instanceIds: string[]) =>
    t.db.deliveryJob.findMany({ where: { instanceId: { in: instanceIds } }, orderBy: { destinationId: "asc" }, include: { destination: true } });

  beforeAll(async () => {
    [t, stow, dimse] = await Promise.all([createTestDatabase(), startOrthanc(), startOrthanc()]);
    await seedDemo(t.db, { password: "not-used-here" });
    const u = await t.db.user.findUniqueOrThrow({ where: { email: "admin@example.org" } });
    admin = { id: u.id, email: u.email, name: u.name, role: "admin", departmentIds: [] };
    const facility = await t.db.facility.findUniqueOrThrow({ where: { code: "GENHOSP" } });
    const derm = await t.db.department.findUniqueOrThrow({ where: { code: "DERM" } });
    const patient = await t.db.patient.create({ data: { mrn: "RT-0001", issuer: "GENHOSP", familyName: "Route", givenName: "Test", birthDate: "19700101", sex: "F" } });
    encounterId = (await t.db.encounter.create({ data: { patientId: patient.id, visitNumber: "RTV-1", visitIssuer: "GENHOSP", facilityId: facility.id, departmentId: derm.id, pointOfCare: "DERM" } })).id;
    dermItemId = (await t.db.catalogItem.findFirstOrThrow({ where: { code: "DERM-TBP" } })).id;
    giItemId = (await t.db.catalogItem.findFirstOrThrow({ where: { code: "GI-STOMA" } })).id;
    dest.stow = (await createDestination(t.db, { name: "vna-stow", url: stow.stowUrl })).id;
    dest.dimse = (await createDestination(t.db, { name: "vna-dimse", url: `dicom://ORTHANC@127.0.0.1:${dimse.dicomPort}` })).id;
  });
  afterAll(async () => {
    await Promise.all([stow?.dispose(), dimse?.dispose()]);
    await t?.drop();
  });

  it("without any active rule, a capture goes to every enabled destination without a rule version", async () => {
    const { instanceIds } = await capture(dermItemId);
    const jobs = await jobsOf(instanceIds);
    expect(jobs.map((j) => [j.destination.name, j.ruleVersionId, j.origin]).sort()).toEqual([
      ["vna-dimse", null, "routed"],
      ["vna-stow", null, "routed"],
    ]);
    await t.db.deliveryJob.updateMany({ where: { instanceId: { in: instanceIds } }, data: { status: "cancelled" } });
  });

  it("two rules with different identities: each archive holds the instance with its bucket's identity (STOW-RS and C-STORE)", async () => {
    const a = await saveRoutingRule(t.db, admin, {
      name: "GENHOSP derm to STOW", facilityCode: "GENHOSP", departmentCode: "DERM", destinationIds: [dest.stow!],
      issuerOfPatientId: "GENHOSP-A", institutionName: "General Hospital A", institutionDepartmentName: "Dermatology A", sourceSystemCode: "ENCAP_A",
    });
    const b = await saveRoutingRule(t.db, admin, {
      name: "XC to C-STORE", modality: "XC", destinationIds: [dest.dimse!],
      issuerOfPatientId: "BUCKET-B", institutionName: "Imaging Centre B", sourceSystemCode: "ENCAP_B",
    });
    const { instanceIds } = await capture(dermItemId);
    const jobs = await jobsOf(instanceIds);
    expect(jobs.map((j) => [j.destination.name, j.ruleVersionId, j.origin]).sort()).toEqual([
      ["vna-dimse", b.versionId, "routed"],
      ["vna-stow", a.versionId, "routed"],
    ]);
    const instance = await t.db.instance.findUniqueOrThrow({ where: { id: instanceIds[0]! } });
    const onDisk = fs.readFileSync(path.join(t.dataDir, instance.filePath));

    const forwarder = await startForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    try {
      await waitFor("both jobs stored", async () => (await jobsOf(instanceIds)).every((j) => j.status === "stored"));
    } finally {
      await forwarder.stop();
    }
    // The file on disk is unchanged; no stamped copy is left behind.
    expect(fs.readFileSync(path.join(t.dataDir, instance.filePath)).equals(onDisk)).toBe(true);
    expect(fs.readdirSync(path.join(t.dataDir, "tmp", "bucket-stamped"))).toEqual([]);

    const fromStow = path.join(t.dataDir, "from-stow.dcm");
    fs.writeFileSync(fromStow, await stow.getInstanceFile(instance.sopInstanceUid));
    const stowDump = runDcmdump(fromStow);
    expect(stowDump).toContain(instance.sopInstanceUid);
    expect(stowDump).toMatch(/\(0010,0021\) LO \[GENHOSP-A\]/);
    expect(stowDump).toMatch(/\(0008,0080\) LO \[General Hospital A\]/);
    expect(stowDump).toMatch(/\(0008,1040\) LO \[Dermatology A\]/);
    expect(stowDump).toMatch(/\(0002,0016\) AE \[ENCAP_A\]/);
    expect(stowDump).toMatch(/\(0008,1010\) SH \[ENCAP_A\]/);
    expect(stowDump).toMatch(/\(0010,0021\) LO \[GENHOSP\]/); // the previous value, in Original Attributes Sequence
    expect(stowDump).toMatch(/\(0400,0565\) CS \[COERCE\]/);
    expect(runDciodvfy(fromStow).split("\n").filter((l) => /^Error/.test(l))).toEqual([]);

    const fromDimse = path.join(t.dataDir, "from-dimse.dcm");
    fs.writeFileSync(fromDimse, await dimse.getInstanceFile(instance.sopInstanceUid));
    const dimseDump = runDcmdump(fromDimse);
    expect(dimseDump).toMatch(/\(0010,0021\) LO \[BUCKET-B\]/);
    expect(dimseDump).toMatch(/\(0008,0080\) LO \[Imaging Centre B\]/);
    expect(dimseDump).toMatch(/\(0008,1010\) SH \[ENCAP_B\]/); // C-STORE carries no File Meta: the dataset has it
    expect(dimseDump).not.toMatch(/GENHOSP-A|Dermatology A/);
    expect(runDciodvfy(fromDimse).split("\n").filter((l) => /^Error/.test(l))).toEqual([]);

    // The same job gives the same bytes on every attempt: stamp twice more, compare with what the archive holds.
    const job = await t.db.deliveryJob.findFirstOrThrow({ where: { instanceId: instance.id, destinationId: dest.stow! } });
    await t.db.deliveryJob.update({ where: { id: job.id }, data: { status: "queued", nextAttemptAt: new Date(0) } });
    const [claimed] = await claimNextJobs(t.db, { workerId: "test", limit: 1, leaseMs: 60_000 });
    expect(claimed?.id).toBe(job.id);
    const file = path.join(t.dataDir, instance.filePath);
    const first = await stampBucketIdentity(claimed!, file, t.dataDir);
    const second = await stampBucketIdentity(claimed!, file, t.dataDir);
    if (!("file" in first) || !("file" in second)) {
      throw new Error("stamping failed");
    }
    expect(first.file).not.toBe(second.file);
    const bytes = fs.readFileSync(first.file);
    expect(bytes.equals(fs.readFileSync(second.file))).toBe(true);
    expect(bytes.equals(fs.readFileSync(fromStow))).toBe(true);
    await t.db.deliveryJob.update({ where: { id: job.id }, data: { status: "stored", lockedBy: null, leaseUntil: null } });
  });

  it("the catalog item's bucket overrides the conditions", async () => {
    const bucket = await saveRoutingRule(t.db, admin, {
      name: "Total body photography bucket", facilityCode: "ELSEWHERE", destinationIds: [dest.stow!], issuerOfPatientId: "TBP",
    });
    await t.db.catalogItem.update({ where: { id: dermItemId }, data: { routingRuleId: bucket.id } });
    try {
      const { instanceIds } = await capture(dermItemId);
      const jobs = await jobsOf(instanceIds);
      expect(jobs.map((j) => [j.destination.name, j.ruleVersionId])).toEqual([["vna-stow", bucket.versionId]]);
      // A deactivated bucket no longer overrides: the conditions decide again.
      await setRoutingRuleActive(t.db, admin, bucket.id, false);
      const again = await jobsOf((await capture(dermItemId)).instanceIds);
      expect(again.map((j) => j.destination.name).sort()).toEqual(["vna-dimse", "vna-stow"]);
      expect(again.every((j) => j.ruleVersionId !== bucket.versionId)).toBe(true);
    } finally {
      await t.db.catalogItem.update({ where: { id: dermItemId }, data: { routingRuleId: null } });
    }
  });

  it("rules exist but none matches: no job, an audit event, listed as unrouted until a rule covers it", async () => {
    // GI-STOMA is XC: deactivate the XC rule so nothing matches a GI capture.
    const xc = await t.db.routingRule.findUniqueOrThrow({ where: { name: "XC to C-STORE" } });
    await setRoutingRuleActive(t.db, admin, xc.id, false);
    const { instanceIds } = await capture(giItemId);
    expect(await jobsOf(instanceIds)).toEqual([]);
    const sop = (await t.db.instance.findUniqueOrThrow({ where: { id: instanceIds[0]! } })).sopInstanceUid;
    expect(await t.db.auditEvent.count({ where: { action: "delivery.unrouted", subject: sop } })).toBe(1);
    const unrouted = await findUnroutedInstances(t.db, admin);
    expect(unrouted.rows.map((r) => r.sopInstanceUid)).toContain(sop);
    // A destination added now does not swallow it: rules decide, and none covers it.
    expect((await createDestination(t.db, { name: "late-vna", url: stow.stowUrl, enabled: false })).queued).toBe(0);
    expect((await createDestination(t.db, { name: "late-vna", url: stow.stowUrl, enabled: true })).queued).toBe(0);
    expect(await jobsOf(instanceIds)).toEqual([]);

    await setRoutingRuleActive(t.db, admin, xc.id, true);
    const routed = await routeUnroutedInstances(t.db, admin);
    expect(routed.queued).toBeGreaterThanOrEqual(1);
    expect((await jobsOf(instanceIds)).map((j) => j.destination.name)).toEqual(["vna-dimse"]);
    expect((await findUnroutedInstances(t.db, admin)).rows.map((r) => r.sopInstanceUid)).not.toContain(sop);
  });

  it("editing a rule: new jobs carry the new version, queued jobs keep theirs", async () => {
    const rule = await t.db.routingRule.findUniqueOrThrow({ where: { name: "XC to C-STORE" } });
    const before = await jobsOf((await capture(giItemId)).instanceIds);
    const v1 = before[0]!.ruleVersionId;
    const edited = await saveRoutingRule(t.db, admin, {
      id: rule.id, expectedVersion: rule.currentVersion, name: rule.name, modality: "XC", destinationIds: [dest.dimse!],
      issuerOfPatientId: "BUCKET-B2", institutionName: "Imaging Centre B", sourceSystemCode: "ENCAP_B",
    });
    expect(edited.version).toBe(rule.currentVersion + 1);
    const after = await jobsOf((await capture(giItemId)).instanceIds);
    expect(after.map((j) => j.ruleVersionId)).toEqual([edited.versionId]);
    const kept = await t.db.deliveryJob.findUniqueOrThrow({ where: { id: before[0]!.id } });
    expect(kept.ruleVersionId).toBe(v1);
    const old = await t.db.routingRuleVersion.findUniqueOrThrow({ where: { id: v1! } });
    expect(old.issuerOfPatientId).toBe("BUCKET-B");
    // A stale editor (started from the old version) is refused.
    await expect(
      saveRoutingRule(t.db, admin, { id: rule.id, expectedVersion: rule.currentVersion, name: rule.name, destinationIds: [dest.dimse!] }),
    ).rejects.toMatchObject({ code: "conflict" });
    expect(await t.db.auditEvent.count({ where: { action: "routing-rule.save" } })).toBeGreaterThanOrEqual(4);
  });

  it("two rules to one destination: the first in order wins; reordering changes which", async () => {
    const first = await saveRoutingRule(t.db, admin, { name: "Derm first", departmentCode: "DERM", destinationIds: [dest.stow!], issuerOfPatientId: "FIRST" });
    const ids = (await t.db.routingRule.findMany({ orderBy: { sortOrder: "asc" }, select: { id: true } })).map((r) => r.id);
    // New rules go last; "GENHOSP derm to STOW" (earlier) also sends DERM captures to vna-stow and wins.
    const stowJob = async () => (await jobsOf((await capture(dermItemId)).instanceIds)).find((j) => j.destinationId === dest.stow)!;
    expect((await stowJob()).ruleVersionId).not.toBe(first.versionId);
    await reorderRoutingRules(t.db, admin, [first.id, ...ids.filter((id) => id !== first.id)]);
    expect((await stowJob()).ruleVersionId).toBe(first.versionId);
    await setRoutingRuleActive(t.db, admin, first.id, false);
    expect(await t.db.auditEvent.count({ where: { action: "routing-rule.reorder" } })).toBe(1);
  });

  it("the preview answers exactly what enqueueing does", async () => {
    for (const itemId of [dermItemId, giItemId]) {
      const { instanceIds } = await capture(itemId);
      const jobs = await jobsOf(instanceIds);
      const study = await t.db.study.findFirstOrThrow({ where: { series: { some: { instances: { some: { id: instanceIds[0]! } } } } } });
      const [fromStudy] = await previewRouting(t.db, admin, { studyInstanceUid: study.studyInstanceUid });
      const [fromForm] = await previewRouting(t.db, admin, { facilityCode: "GENHOSP", catalogItemId: itemId, modality: "XC" });
      const expected = jobs.map((j) => [j.destinationId, j.ruleVersionId]).sort();
      expect(fromStudy!.routes.map((r) => [r.destinationId, r.ruleVersionId]).sort()).toEqual(expected);
      expect(fromForm!.routes.map((r) => [r.destinationId, r.ruleVersionId]).sort()).toEqual(expected);
    }
    const [none] = await previewRouting(t.db, admin, { facilityCode: "NOWHERE", departmentCode: "NONE", modality: "US" });
    expect(none).toMatchObject({ unrouted: true, routes: [] });
    await expect(previewRouting(t.db, { ...admin, role: "manager" }, { facilityCode: "GENHOSP", modality: "XC" })).rejects.toMatchObject({ code: "forbidden" });
  });
});
