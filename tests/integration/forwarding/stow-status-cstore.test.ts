/**
 * The C-STORE side of stow-status.test.ts: dcmtk storescp's fault options through the forwarder loop, as job end
 * states. An aborted association and a stalled peer are transient (the job waits, then is stored once the archive
 * behaves); a refused association is permanent (failed at once with the reason). Status codes storescp cannot
 * send are covered by dimse-robustness.test.ts (scripted peer) and storage-full.test.ts (Orthanc's 0xA700).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runForwarder, type TForwarder } from "@/lib/forwarding/run-forwarder";
import { makeDicomFiles, seedDeliveries, waitFor } from "../../support/forwarding-fixtures";
import { startStorescp, type TStorescp } from "../../support/storescp";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

describe("C-STORE faults through the forwarder (dcmtk storescp)", () => {
  let t: TTestDatabase;
  let forwarder: TForwarder | undefined;
  const scps: TStorescp[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterEach(async () => {
    await forwarder?.stop();
    forwarder = undefined;
    await Promise.all(scps.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => t?.drop());

  const urlOf = (s: TStorescp): string => `dicom://${s.aet}@127.0.0.1:${s.port}?calling=EC_FORWARDER`;

  /** Two instances queued for a new C-STORE destination at `scp` only. */
  const seed = async (name: string, scp: TStorescp) => {
    const destination = await t.db.destination.create({ data: { name, url: urlOf(scp), kind: "dimse" } });
    const files = await makeDicomFiles(t.dataDir, 2, { subdir: name });
    const { instanceIds } = await seedDeliveries(t.db, files, {});
    await t.db.deliveryJob.deleteMany({ where: { instanceId: { in: instanceIds } } });
    await t.db.deliveryJob.createMany({ data: instanceIds.map((instanceId) => ({ instanceId, destinationId: destination.id })) });

    return { destination, files, mine: { instanceId: { in: instanceIds } } };
  };
  const start = (): TForwarder =>
    runForwarder({ db: t.db, dataDir: t.dataDir, pollMs: 20, timeoutMs: 1_000, retryPolicy: { baseMs: 100, capMs: 300, horizonMs: 60_000 } });

  /** The archive misbehaves until it is replaced by a well-behaved storescp (+xa: accepts JPEG). */
  const transientThenStored = async (name: string, options: string[], reason: RegExp, attempts = 2): Promise<void> => {
    const faulty = await startStorescp([...options, "+xa"]);
    scps.push(faulty);
    const { destination, files, mine } = await seed(name, faulty);
    forwarder = start();
    await waitFor(`${attempts} failed attempt(s) each`, async () => (await t.db.deliveryJob.count({ where: { ...mine, attempts: { gte: attempts } } })) === 2, 30_000);
    for (const job of await t.db.deliveryJob.findMany({ where: mine })) {
      expect(["queued", "sending"]).toContain(job.status);
      expect(job.lastError).toMatch(reason);
    }
    const good = await startStorescp(["+xa"]);
    scps.push(good);
    await t.db.destination.update({ where: { id: destination.id }, data: { url: urlOf(good) } });
    await waitFor("both stored", async () => (await t.db.deliveryJob.count({ where: { ...mine, status: "stored" } })) === 2, 45_000);
    expect(good.receivedFiles()).toHaveLength(files.length);
  };

  it("an association aborted during the C-STORE (--abort-during): transient, stored once the archive behaves", async () => {
    await transientThenStored("abort-during", ["--abort-during"], /^C-STORE .*(abort|closed|not sent)/i);
  });

  it("an association aborted before the response (--abort-after): transient, stored once the archive behaves", async () => {
    await transientThenStored("abort-after", ["--abort-after"], /^C-STORE .*(abort|closed|not sent)/i);
  });

  // storescp serves one association at a time and sleeps through each: one failed attempt each is enough.
  it("a peer stalling past the DIMSE timeout (--sleep-during): transient, stored once the archive behaves", async () => {
    await transientThenStored("stall", ["--sleep-during", "3"], /^C-STORE (no C-STORE response within 1000 ms|not sent: the association failed on an earlier file)/, 1);
  }, 120_000);

  it("a refused association (--refuse): failed at once, the rejection as the reason", async () => {
    const scp = await startStorescp(["--refuse"]);
    scps.push(scp);
    const { mine } = await seed("refuse", scp);
    forwarder = start();
    await waitFor("both failed", async () => (await t.db.deliveryJob.count({ where: { ...mine, status: "failed" } })) === 2, 20_000);
    for (const job of await t.db.deliveryJob.findMany({ where: mine })) {
      expect(job.attempts).toBe(1);
      expect(job.lastError).toMatch(/^C-STORE .*association rejected-permanent by the service user/);
    }
  });
});
