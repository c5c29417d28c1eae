/**
 * The forwarder as a real process (`tsx lib/workers/forwarder.ts`, as scripts/start.mjs runs it), killed with
 * SIGKILL while it is sending: after a restart every job is stored, Orthanc holds each instance exactly once and
 * no job is left behind. Then SIGTERM drains it and it exits 0.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnForwarder, signalGroup, type TForwarderProcess } from "../../support/forwarder-process";
import { makeDicomFiles, seedDeliveries, waitFor, type TFixtureFile } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const COUNT = 40;

type TChild = TForwarderProcess;

const startForwarder = (t: TTestDatabase): TChild =>
  spawnForwarder(t, { LOG_LEVEL: "info", FORWARDER_POLL_MS: "50", FORWARDER_LEASE_MS: "3000", FORWARDER_RETRY_BASE_MS: "100", FORWARDER_BATCH_SIZE: "4" });

describe("forwarder process killed mid-queue", () => {
  let t: TTestDatabase;
  let orthanc: TOrthanc;
  let files: TFixtureFile[];
  const children: TChild[] = [];
  beforeAll(async () => {
    [t, orthanc] = await Promise.all([createTestDatabase(), startOrthanc()]);
    // Random-pixel 1024×768 JPEGs (~0.65 MB each) keep each send long enough to be caught in the middle.
    files = await makeDicomFiles(t.dataDir, COUNT, { width: 1024, height: 768 });
    await seedDeliveries(t.db, files, { orthanc: orthanc.stowUrl });
  }, 180_000);
  afterAll(async () => {
    for (const c of children) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) {
        signalGroup(c, "SIGKILL");
      }
    }
    await orthanc?.dispose();
    await t?.drop();
  });

  const count = (status: string): Promise<number> => t.db.deliveryJob.count({ where: { status } });

  it("delivers every instance exactly once across a SIGKILL and a restart", async () => {
    const first = startForwarder(t);
    children.push(first);
    await waitFor("a job in flight after a few stored", async () => (await count("stored")) >= 3 && (await count("sending")) >= 1, 60_000);
    // Freeze the forwarder and look: the state seen is the state it dies in. A send can finish between the check
    // above and the kill, so freeze again a moment later until a job is caught in flight (a fast archive).
    let inFlight: { id: string }[] = [];
    for (let attempt = 0; attempt < 200 && inFlight.length === 0; attempt += 1) {
      signalGroup(first, "SIGSTOP");
      inFlight = await t.db.deliveryJob.findMany({ where: { status: "sending" }, select: { id: true } });
      if (inFlight.length === 0) {
        signalGroup(first, "SIGCONT");
        await new Promise((r) => setTimeout(r, 5 + (attempt % 7)));
      }
    }
    const storedAtKill = await count("stored");
    signalGroup(first, "SIGKILL");
    await first.exit;
    expect(inFlight.length).toBeGreaterThanOrEqual(1);
    expect(storedAtKill).toBeLessThan(COUNT);

    const second = startForwarder(t);
    children.push(second);
    await waitFor(`all ${COUNT} jobs stored`, async () => (await count("stored")) === COUNT, 90_000);
    expect(await t.db.deliveryJob.count({ where: { status: { not: "stored" } } })).toBe(0);
    expect(await t.db.deliveryJob.count({ where: { OR: [{ lockedBy: { not: null } }, { leaseUntil: { not: null } }] } })).toBe(0);
    // The jobs the dead process held were taken over once their lease expired.
    expect(second.output()).toContain("re-claimed a job whose lease had expired");
    expect(await orthanc.countInstances()).toBe(COUNT);
    const uids = await orthanc.listSopInstanceUids();
    expect(uids.sort()).toEqual(files.map((f) => f.sopInstanceUid).sort());
    expect(orthanc.countStoredFiles()).toBe(COUNT);
    expect(await t.db.auditEvent.count({ where: { action: "delivery.stored" } })).toBe(COUNT);

    second.proc.kill("SIGTERM");
    expect(await second.exit).toBe(0);
    expect(second.output()).toContain('"msg":"forwarder stopped"');
    expect(await t.db.workerHeartbeat.count({ where: { name: "forwarder" } })).toBe(0);
  }, 180_000);
});
