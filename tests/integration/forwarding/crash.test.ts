/**
 * Crash test (issue 5, "Tests"): 500 captures queued, the forwarder running as a real process
 * (`tsx lib/workers/forwarder.ts`) is killed with SIGKILL at five random points and started again; on PostgreSQL
 * two forwarder processes run at once and one of them, chosen at random, dies each time. Afterwards Orthanc holds
 * each instance exactly once, every job is `stored` with exactly one "delivery.stored" audit event, and no job is
 * left `sending` or locked.
 * Short leases (FORWARDER_LEASE_MS) let a dead forwarder's jobs come back within 1.5 s; the file is
 * forwarder-restart.test.ts's process handling at scale.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloneDicomFiles } from "../../support/clone-dicom-files";
import { spawnForwarder, signalGroup, type TForwarderProcess } from "../../support/forwarder-process";
import { seedDeliveries, waitFor, type TFixtureFile } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const COUNT = 500;
const KILLS = 5;

type TChild = TForwarderProcess;

/**
 * The forwarder with short leases, so a dead forwarder's jobs come back within 1.5 s, and small claims with two
 * requests in flight, so the queue lasts long enough on a quiet machine for every kill to land mid-queue (with the
 * default 64-job claims and adaptive parallelism the last kill sometimes came after all 500 were stored).
 */
const startForwarder = (t: TTestDatabase): TChild =>
  spawnForwarder(
    t,
    {
      LOG_LEVEL: "warn", FORWARDER_POLL_MS: "50", FORWARDER_LEASE_MS: "1500", FORWARDER_RETRY_BASE_MS: "100", FORWARDER_RETRY_CAP_MS: "1000",
      FORWARDER_BATCH_SIZE: "8", FORWARDER_CONCURRENCY: "2",
    },
    20_000,
  );

const kill = async (child: TChild): Promise<void> => {
  if (child.proc.pid && child.proc.exitCode === null && child.proc.signalCode === null) {
    try {
      signalGroup(child, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await child.exit;
};

describe("crash test: 500 queued, forwarder SIGKILLed five times", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  let files: TFixtureFile[];
  const children: TChild[] = [];
  beforeAll(async () => {
    [t, orthanc] = await Promise.all([createTestDatabase(), startOrthanc()]);
    files = await cloneDicomFiles(t.dataDir, COUNT);
    await seedDeliveries(t.db, files, { orthanc: orthanc.stowUrl });
  }, 180_000);
  afterAll(async () => {
    await Promise.all(children.map(kill));
    await orthanc?.dispose();
    await t?.drop();
  });

  const count = (status: string): Promise<number> => t.db.deliveryJob.count({ where: { status } });

  it("stores every instance exactly once; no job stored twice, lost or stuck", async () => {
    const started = Date.now();
    const parallel = t.engine === "postgresql" ? 2 : 1;
    const running: TChild[] = [];
    const start = (): void => {
      const child = startForwarder(t);
      children.push(child);
      running.push(child);
    };
    for (let i = 0; i < parallel; i += 1) {
      start();
    }
    const kills: { stored: number; sending: number }[] = [];
    for (let round = 0; round < KILLS; round += 1) {
      // A random point in this round's slice of the queue, plus a random few milliseconds.
      const target = Math.floor((COUNT * (round + 0.2 + 0.6 * Math.random())) / (KILLS + 1));
      await waitFor(`round ${round}: ${target} stored`, async () => (await count("stored")) >= target, 60_000);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      const victim = running.splice(Math.floor(Math.random() * running.length), 1)[0] as TChild;
      const sending = await count("sending");
      await kill(victim);
      kills.push({ stored: await count("stored"), sending });
      start();
    }
    await waitFor(`all ${COUNT} stored`, async () => (await count("stored")) === COUNT, 120_000);
    const elapsed = Date.now() - started;

    expect(kills).toHaveLength(KILLS);
    // The kills happened mid-queue, not after the work was done.
    expect(kills.every((k) => k.stored < COUNT)).toBe(true);
    expect(await t.db.deliveryJob.count({ where: { status: { not: "stored" } } })).toBe(0);
    expect(await t.db.deliveryJob.count({ where: { OR: [{ lockedBy: { not: null } }, { leaseUntil: { not: null } }] } })).toBe(0);
    // Exactly one completion per job: a job completed twice (two owners) would have two audit events.
    expect(await t.db.auditEvent.count({ where: { action: "delivery.stored" } })).toBe(COUNT);
    const uids = await orthanc.listSopInstanceUids();
    expect(await orthanc.countInstances()).toBe(COUNT);
    expect(new Set(uids).size).toBe(COUNT);
    expect(uids.sort()).toEqual(files.map((f) => f.sopInstanceUid).sort());
    expect(orthanc.countStoredFiles()).toBe(COUNT);
    // Stored minutes ago: within the default 30-day retention, every local copy is kept.
    expect(await t.db.instance.count({ where: { purgedAt: { not: null } } })).toBe(0);
    // Jobs held by a killed forwarder were taken over after their lease expired.
    expect(children.some((c) => c.output().includes("re-claimed a job whose lease had expired"))).toBe(true);
    console.log(
      `crash test (${t.engine}, ${parallel} forwarder${parallel > 1 ? "s" : ""}): ${COUNT} stored in ${(elapsed / 1000).toFixed(1)} s; ` +
        `killed at ${kills.map((k) => `${k.stored} stored/${k.sending} sending`).join(", ")}`,
    );
    await Promise.all(running.map(kill));
  }, 240_000);
});
