/**
 * "Test connection" against a real Orthanc: C-ECHO for a C-STORE destination, QIDO-RS for a STOW-RS one; a closed
 * port and a web server that is not DICOMweb are reported as not reachable, with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDestination } from "@/lib/forwarding/create-destination";
import { testDestination } from "@/lib/forwarding/test-destination";
import { freePort } from "../../support/free-port";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

describe("test connection", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  beforeAll(async () => {
    [t, orthanc] = await Promise.all([createTestDatabase(), startOrthanc()]);
  });
  afterAll(async () => {
    await orthanc?.dispose();
    await t?.drop();
  });

  it("C-ECHO to a C-STORE destination and QIDO-RS to a STOW-RS one", async () => {
    const dimse = await createDestination(t.db, { name: "echo", url: `dicom://ECTEST@127.0.0.1:${orthanc.dicomPort}` });
    const stow = await createDestination(t.db, { name: "qido", url: orthanc.stowUrl });
    expect(await testDestination(t.db, dimse.id)).toMatchObject({ ok: true, detail: expect.stringMatching(/C-ECHO accepted by ECTEST/) });
    expect(await testDestination(t.db, stow.id)).toMatchObject({ ok: true, detail: expect.stringMatching(/QIDO-RS answered HTTP 200/) });
  });

  it("reports a closed port and a base URL that is not DICOMweb, with the reason", async () => {
    const closed = await createDestination(t.db, { name: "closed", url: `dicom://VNA@127.0.0.1:${await freePort()}` });
    const wrong = await createDestination(t.db, { name: "wrong", url: `${orthanc.stowUrl.replace(/\/dicom-web$/, "")}/not-dicomweb` });
    const a = await testDestination(t.db, closed.id);
    expect(a.ok).toBe(false);
    expect(a.detail).toMatch(/ECONNREFUSED|refused|connect/i);
    const b = await testDestination(t.db, wrong.id);
    expect(b).toMatchObject({ ok: false, detail: expect.stringMatching(/HTTP 404/) });
  });
});
