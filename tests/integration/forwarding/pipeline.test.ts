/**
 * The forwarder's pipeline against a real Orthanc: small instances travel batched in few STOW-RS requests; on a
 * long link (the link emulator, 100 ms RTT) several requests are in flight at the archive at once and the
 * adaptive parallelism grows, never beyond Destination.maxParallel; everything is stored exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TParallelismStep } from "@/lib/forwarding/adaptive-parallelism";
import { runForwarder } from "@/lib/forwarding/run-forwarder";
import { makeDicomFiles, seedDeliveries, waitFor } from "../../support/forwarding-fixtures";
import { startHttpProxy, type THttpProxy } from "../../support/http-proxy";
import { startLinkEmulator, type TLinkEmulator } from "../../support/link-emulator";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const FAST = { pollMs: 50, leaseMs: 10_000, timeoutMs: 10_000, retryPolicy: { baseMs: 100, capMs: 400 } };

describe("forwarder pipeline", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  let proxy: THttpProxy | undefined;
  let link: TLinkEmulator | undefined;

  beforeAll(async () => {
    [t, orthanc] = await Promise.all([createTestDatabase(), startOrthanc()]);
  });
  afterAll(async () => {
    await link?.close();
    await proxy?.close();
    await orthanc?.dispose();
    await t?.drop();
  });

  it("batches small instances into few requests, without Expect: 100-continue", async () => {
    proxy = await startHttpProxy(orthanc.baseUrl);
    const files = await makeDicomFiles(t.dataDir, 40, { subdir: "batch" });
    const { instanceIds } = await seedDeliveries(t.db, files, { batched: `${proxy.url}/dicom-web` });
    const forwarder = runForwarder({ db: t.db, dataDir: t.dataDir, ...FAST });
    await waitFor("40 stored", async () => (await t.db.deliveryJob.count({ where: { instanceId: { in: instanceIds }, status: "stored" } })) === 40);
    await forwarder.stop();

    const posts = proxy.requests().POST ?? 0;
    expect(posts).toBeGreaterThanOrEqual(2);
    expect(posts).toBeLessThanOrEqual(8);
    expect(proxy.expectHeaders()).toEqual([]);
    expect((await orthanc.listSopInstanceUids()).filter((u) => files.some((f) => f.sopInstanceUid === u))).toHaveLength(40);
    await t.db.destination.updateMany({ where: { name: "batched" }, data: { enabled: false } });
    await proxy.close();
    proxy = undefined;
  });

  it("keeps several requests in flight on a long link and grows parallelism within maxParallel", async () => {
    proxy = await startHttpProxy(orthanc.baseUrl);
    link = await startLinkEmulator({ targetPort: proxy.port, rttMs: 100, rateBitsPerSecond: 1e9 });
    const files = await makeDicomFiles(t.dataDir, 100, { subdir: "wan" });
    const { instanceIds, destinationIds } = await seedDeliveries(t.db, files, { wan: `${link.url}/dicom-web` });
    await t.db.destination.update({ where: { id: destinationIds[0] }, data: { maxParallel: 6 } });
    const steps: TParallelismStep[] = [];
    // One instance per request: each request then costs a round trip, so only parallelism can speed it up.
    const forwarder = runForwarder({
      db: t.db, dataDir: t.dataDir, ...FAST, maxInstancesPerRequest: 1, onParallelism: (_id, step) => steps.push(step),
    });
    const destinationId = destinationIds[0];
    await waitFor("100 stored", async () => (await t.db.deliveryJob.count({ where: { instanceId: { in: instanceIds }, destinationId, status: "stored" } })) === 100, 60_000);
    await forwarder.stop();

    expect(proxy.maxInFlight()).toBeGreaterThanOrEqual(3);
    expect(proxy.maxInFlight()).toBeLessThanOrEqual(6);
    const limits = steps.map((s) => s.limit);
    expect(Math.max(...limits)).toBeGreaterThanOrEqual(4);
    expect(limits.every((l) => l >= 1 && l <= 6)).toBe(true);
    const stored = await orthanc.listSopInstanceUids();
    expect(files.every((f) => stored.filter((u) => u === f.sopInstanceUid).length === 1)).toBe(true);
    const jobs = await t.db.deliveryJob.findMany({ where: { instanceId: { in: instanceIds }, destinationId } });
    expect(jobs.filter((j) => j.attempts !== 1 || j.lockedBy !== null).map((j) => j.lastError)).toEqual([]);
  });
});
