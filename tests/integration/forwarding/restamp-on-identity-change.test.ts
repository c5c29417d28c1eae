/**
 * Images captured but not yet delivered when the patient's identity changes (A40 merge, then an A08 name
 * correction) reach the archive under the CURRENT identity: the forwarder re-stamps the file before sending (same
 * UIDs, pixel data untouched, previous values in Original Attributes Sequence). Real database, real Orthanc.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/roles";
import { createCapture } from "@/lib/capture/create-capture";
import { findCatalogItems } from "@/lib/catalog/find-catalog-items";
import { createDestination } from "@/lib/forwarding/create-destination";
import { handleInbound } from "@/lib/hl7/handle-inbound";
import { seedDemo } from "@/lib/setup/seed-demo";
import { startForwarder } from "@/lib/workers/forwarder";
import { fieldOf } from "../../support/mllp-client";
import { runDciodvfy, runDcmdump } from "../../support/dicom-tools";
import { waitFor } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const FAST = { pollMs: 50, leaseMs: 10_000, timeoutMs: 5_000, retryPolicy: { baseMs: 100, capMs: 400 } };

const adt = (id: string, event: string, at: string, pid: string, extra: string[]): Buffer =>
  Buffer.from(
    [
      `MSH|^~\\&|HIS|GENHOSP|EC|EC|${at}||ADT^${event}^${event === "A40" ? "ADT_A39" : "ADT_A01"}|${id}|P|2.5.1`,
      `EVN|${event}|${at}`,
      pid,
      ...extra,
    ].join("\r"),
  );

describe("re-stamping undelivered images after an identity change", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  let derm: TSessionUser;

  beforeAll(async () => {
    [t, orthanc] = await Promise.all([createTestDatabase(), startOrthanc()]);
    await seedDemo(t.db, { password: "not-used-here" });
    const u = await t.db.user.findUniqueOrThrow({ where: { email: "derm@example.org" }, include: { departments: true } });
    derm = { id: u.id, email: u.email, name: u.name, role: "clinician", departmentIds: u.departments.map((d) => d.departmentId) };
  });
  afterAll(async () => {
    await orthanc?.dispose();
    await t?.drop();
  });

  it("a merge and a name correction before delivery: the archive gets the survivor's current identity", async () => {
    const ok = async (message: Buffer) => expect(fieldOf((await handleInbound(t.db, message)).toString(), "MSA", 1)).toBe("AA");
    const pv1 = (visit: string) => `PV1|1|O|DERM^1^1^GENHOSP||||||||||||||||${visit}^^^GENHOSP`;
    await ok(adt("R1", "A04", "20260101090000", "PID|1||RS-OLD^^^GENHOSP^MR||Tempname^Baby||20260101|F", [pv1("RSV-1")]));
    await ok(adt("R2", "A04", "20260101091000", "PID|1||RS-KEEP^^^GENHOSP^MR||Lindqvist^Åsa||19800202|F", [pv1("RSV-2")]));
    const encounter = await t.db.encounter.findFirstOrThrow({ where: { visitNumber: "RSV-1" } });
    await createDestination(t.db, { name: "orthanc", url: orthanc.stowUrl });
    const item = (await findCatalogItems(t.db, derm))[0]!;
    const tempPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ec-restamp-")), "photo.jpg");
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 40, b: 40 } } })
      .jpeg()
      .toBuffer();
    fs.writeFileSync(tempPath, jpeg);
    const capture = await createCapture(
      t.db,
      derm,
      {
        encounterId: encounter.id,
        procedureId: item.id,
        files: [{ field: "file", originalName: "photo.jpg", mimeType: "image/jpeg", tempPath, size: jpeg.length, sha256: "" }],
      },
      { dataDir: t.dataDir },
    );
    const before = await t.db.instance.findFirstOrThrow({ where: { series: { studyId: capture.id } } });
    expect(before.stampedIdentity).toMatch(/^[0-9a-f]{32}$/);

    // The temporary record is merged into the known patient, whose name is then corrected — all before delivery.
    await ok(adt("R3", "A40", "20260101100000", "PID|1||RS-KEEP^^^GENHOSP^MR||Lindqvist^Åsa||19800202|F", ["MRG|RS-OLD^^^GENHOSP^MR"]));
    await ok(adt("R4", "A08", "20260101110000", "PID|1||RS-KEEP^^^GENHOSP^MR||Lindqvist-Berg^Åsa^Maria||19800202|F", [pv1("RSV-1")]));

    const forwarder = await startForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    try {
      await waitFor("the job stored", async () => (await t.db.deliveryJob.count({ where: { status: "stored" } })) === 1);
    } finally {
      await forwarder.stop();
    }

    const after = await t.db.instance.findUniqueOrThrow({ where: { id: before.id } });
    expect(after.filePath).not.toBe(before.filePath);
    expect(after.sha256).not.toBe(before.sha256);
    expect(after.stampedIdentity).not.toBe(before.stampedIdentity);
    expect(await t.db.auditEvent.count({ where: { action: "instance.restamped", subject: before.sopInstanceUid } })).toBe(1);
    // Nothing had been delivered under the old identity: nothing for the imaging team to correct.
    expect(await t.db.identityChange.count({ where: { studyId: capture.id } })).toBe(0);

    // What the archive holds: the same UIDs, the survivor's MRN and corrected name, the old values kept.
    const archived = path.join(t.dataDir, "archived.dcm");
    fs.writeFileSync(archived, await orthanc.getInstanceFile(before.sopInstanceUid));
    const dump = runDcmdump(archived);
    expect(dump).toMatch(/\(0010,0020\) LO \[RS-KEEP\]/);
    expect(dump).toMatch(/\(0010,0010\) PN \[Lindqvist-Berg\^Åsa\^Maria\]/);
    expect(dump).toContain(before.sopInstanceUid);
    expect(dump).toMatch(/\(0400,0561\) SQ/);
    expect(dump).toMatch(/\(0010,0020\) LO \[RS-OLD\]/); // inside Original Attributes Sequence
    expect(dump).toMatch(/\(0400,0565\) CS \[CORRECT\]/);
    expect(runDciodvfy(archived).split("\n").filter((l) => /^Error/.test(l))).toEqual([]);
    // Pixel data untouched: the JPEG fragment of the original file is in the archived one, byte for byte.
    const fragment = (file: Buffer): Buffer => file.subarray(file.lastIndexOf(Buffer.from([0xff, 0xd8, 0xff])));
    const original = fs.readFileSync(path.join(t.dataDir, before.filePath));
    expect(fragment(fs.readFileSync(archived)).subarray(0, 200).equals(fragment(original).subarray(0, 200))).toBe(true);
  });
});
