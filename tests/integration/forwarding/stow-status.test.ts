/**
 * STOW-RS answers Orthanc cannot be made to give, each from a scripted archive (tests/support/fake-stow-server.ts),
 * through the real forwarder loop: what the job ends as (stored / failed with which reason), how many requests it
 * took, and which reasons it showed on the way. One forwarder serves every scenario at once (one destination each).
 * Classification rules: lib/forwarding/classify-result.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runForwarder, type TForwarder } from "@/lib/forwarding/run-forwarder";
import { storeAll, startFakeStowServer, type TFakeStowServer, type TScenario } from "../../support/fake-stow-server";
import { makeDicomFiles, seedDeliveries, waitFor, type TFixtureFile } from "../../support/forwarding-fixtures";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

type TCase = { files: TFixtureFile[]; jobIds: string[] };

const A700 = 0xa700;
const C000 = 0xc000;

/** After `n` failing requests, store. */
const failThenStore = (n: number, fail: (uids: string[]) => ReturnType<TScenario["stow"]>): TScenario["stow"] =>
  (uids, k) => (k <= n ? fail(uids) : storeAll(uids));

// The multi-instance scenarios come first: their jobs are the oldest, so they are claimed, and batched, together.
const SCENARIOS: Record<string, TScenario & { count?: number; large?: boolean }> = {
  partial: {
    count: 3,
    // First request: the first instance stored, the second refused for lack of space, the third not understood.
    stow: (uids, k) =>
      k === 1 && uids.length === 3
        ? { status: 202, referenced: [{ uid: uids[0] as string }], failed: [{ uid: uids[1] as string, reason: A700 }, { uid: uids[2] as string, reason: C000 }] }
        : storeAll(uids),
  },
  "too-large-batch": { count: 3, stow: (uids) => (uids.length > 1 ? { status: 413 } : storeAll(uids)) },
  ok: { stow: storeAll },
  "warning-202": { stow: (uids) => ({ status: 202, referenced: uids.map((uid) => ({ uid, warning: 0xb000 })) }) },
  "warning-200": { stow: (uids) => ({ status: 200, referenced: uids.map((uid) => ({ uid, warning: 0xb007 })) }) },
  conflict: { stow: () => ({ status: 409 }) },
  "already-stored": { stow: (uids) => ({ status: 409, failed: uids.map((uid) => ({ uid, reason: 45070 })) }) },
  "conflict-sop-class": { stow: (uids) => ({ status: 409, failed: uids.map((uid) => ({ uid, reason: 0x0122 })) }) },
  "bad-request": { stow: failThenStore(1, () => ({ status: 400 })) },
  "bad-request-mismatch": { stow: (uids) => ({ status: 400, failed: uids.map((uid) => ({ uid, reason: 0xa900 })) }) },
  "not-found": { stow: () => ({ status: 404, body: "no such path" }) },
  "unsupported-media": { stow: () => ({ status: 415 }) },
  unauthorized: { stow: () => ({ status: 401, headers: { "WWW-Authenticate": "Basic" } }) },
  forbidden: { stow: () => ({ status: 403 }) },
  "too-large": { stow: () => ({ status: 413 }) },
  throttled: { stow: failThenStore(1, () => ({ status: 429, headers: { "Retry-After": "2" } })) },
  "unavailable-date": {
    stow: failThenStore(1, () => ({ status: 503, headers: { "Retry-After": new Date(Date.now() + 3_000).toUTCString() } })),
  },
  "server-error": { stow: failThenStore(2, () => ({ status: 500 })) },
  reset: { large: true, resetMidBody: (k) => k <= 2, stow: storeAll },
  hang: { stow: failThenStore(1, () => ({ action: "hang" })) },
  unlisted: {
    stow: (uids, k) =>
      k === 1 ? { status: 200, referenced: [] } : k === 2 ? { status: 200, body: "<html>OK</html>" } : storeAll(uids),
  },
};

describe("STOW-RS status codes through the forwarder", () => {
  let t: TTestDatabase;
  let server: TFakeStowServer;
  let forwarder: TForwarder | undefined;
  const cases = new Map<string, TCase>();
  /** Every (status, lastError) a job showed while the scenarios ran, by job id. */
  const seen = new Map<string, Set<string>>();

  beforeAll(async () => {
    t = await createTestDatabase();
    server = await startFakeStowServer(SCENARIOS);
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      const files = await makeDicomFiles(t.dataDir, scenario.count ?? 1, {
        subdir: name,
        ...(scenario.large ? { width: 1024, height: 768 } : {}),
      });
      const { instanceIds, destinationIds } = await seedDeliveries(t.db, files, { [name]: server.urlFor(name) });
      const destinationId = destinationIds[0] as string;
      // Only this scenario's destination: whatever else the enqueue path chose for these instances goes.
      await t.db.deliveryJob.deleteMany({ where: { instanceId: { in: instanceIds }, destinationId: { not: destinationId } } });
      for (const instanceId of instanceIds) {
        await t.db.deliveryJob.upsert({ where: { instanceId_destinationId: { instanceId, destinationId } }, create: { instanceId, destinationId }, update: {} });
      }
      const jobs = await t.db.deliveryJob.findMany({ where: { instanceId: { in: instanceIds } }, select: { id: true, instanceId: true } });
      const byInstance = new Map(jobs.map((j) => [j.instanceId, j.id]));
      cases.set(name, { files, jobIds: instanceIds.map((id) => byInstance.get(id) as string) });
    }
    expect(await t.db.deliveryJob.count()).toBe([...cases.values()].reduce((n, c) => n + c.files.length, 0));

    forwarder = runForwarder({
      db: t.db, dataDir: t.dataDir, pollMs: 20, timeoutMs: 1_500, leaseMs: 20_000, batchSize: 16,
      maxInstancesPerRequest: 4, concurrency: 4, retryPolicy: { baseMs: 300, capMs: 600, horizonMs: 120_000 },
    });
    // Watch every job until none is queued or sending, noting each state it passes through.
    await waitFor("every scenario to settle", async () => {
      const jobs = await t.db.deliveryJob.findMany({ select: { id: true, status: true, lastError: true } });
      for (const j of jobs) {
        seen.set(j.id, (seen.get(j.id) ?? new Set()).add(`${j.status}: ${j.lastError}`));
      }

      return jobs.every((j) => j.status === "stored" || j.status === "failed");
    }, 60_000);
  }, 180_000);
  afterAll(async () => {
    await forwarder?.stop();
    await server?.close();
    await t?.drop();
  });

  const job = async (name: string, i = 0) =>
    t.db.deliveryJob.findUniqueOrThrow({ where: { id: cases.get(name)?.jobIds[i] ?? "" } });
  const requestsOf = (name: string) => server.requests.filter((r) => r.scenario === name);
  const seenOf = async (name: string, i = 0): Promise<string[]> => [...(seen.get((await job(name, i)).id) ?? [])];

  it("200 listing the instance: stored after one request, no error", async () => {
    expect(await job("ok")).toMatchObject({ status: "stored", attempts: 1, lastError: "" });
    expect(requestsOf("ok")).toHaveLength(1);
  });

  it("202 with a Failed SOP Sequence for two of three: the listed one stored, A700 retried and stored, C000 failed", async () => {
    const first = requestsOf("partial")[0];
    expect(first?.uids).toHaveLength(3);
    expect(await job("partial", 0)).toMatchObject({ status: "stored", attempts: 1 });
    expect(await job("partial", 1)).toMatchObject({ status: "stored", attempts: 2, lastError: "" });
    expect(await seenOf("partial", 1)).toContain("queued: HTTP 202, FailureReason 0xA700 (out of resources)");
    expect(await job("partial", 2)).toMatchObject({ status: "failed", attempts: 1, lastError: "HTTP 202, FailureReason 0xC000 (cannot understand)" });
  });

  it("200 and 202 with a WarningReason: stored, the warning kept in lastError", async () => {
    expect(await job("warning-202")).toMatchObject({ status: "stored", attempts: 1, lastError: "WarningReason 0xB000" });
    expect(await job("warning-200")).toMatchObject({ status: "stored", attempts: 1, lastError: "WarningReason 0xB007" });
  });

  it("409: failed at once (no reason → the status; 0122 → SOP Class not supported)", async () => {
    expect(await job("conflict")).toMatchObject({ status: "failed", attempts: 1, lastError: "HTTP 409" });
    expect(await job("conflict-sop-class")).toMatchObject({ status: "failed", attempts: 1, lastError: "HTTP 409, FailureReason 0x0122 (SOP Class not supported)" });
    expect(requestsOf("conflict")).toHaveLength(1);
  });

  it("409 with Microsoft's 'already stored' (45070): stored, the note kept in lastError", async () => {
    expect(await job("already-stored")).toMatchObject({ status: "stored", attempts: 1, lastError: "FailureReason 0xB00E (already stored)" });
  });

  it("400: with A9xx failed at once; bare 400 retried (Orthanc's storage-full answer), then stored", async () => {
    expect(await job("bad-request-mismatch")).toMatchObject({ status: "failed", attempts: 1, lastError: "HTTP 400, FailureReason 0xA900 (data set does not match SOP Class)" });
    expect(await job("bad-request")).toMatchObject({ status: "stored", attempts: 2 });
    expect((await seenOf("bad-request")).some((s) => s.startsWith("queued: HTTP 400 without a failure reason"))).toBe(true);
  });

  it("401, 403, 404, 415: failed after one request, the status as the reason", async () => {
    for (const [name, status] of [["unauthorized", 401], ["forbidden", 403], ["not-found", 404], ["unsupported-media", 415]] as const) {
      expect(await job(name)).toMatchObject({ status: "failed", attempts: 1, lastError: `HTTP ${status}` });
      expect(requestsOf(name)).toHaveLength(1);
    }
  });

  it("413 on a batch: each instance sent again alone in the same attempt; 413 alone: failed", async () => {
    const requests = requestsOf("too-large-batch");
    const [batch, ...alone] = requests;
    expect(batch?.uids.length).toBeGreaterThan(1);
    expect(alone.map((r) => r.uids.length)).toEqual(batch?.uids.map(() => 1));
    expect(alone.flatMap((r) => r.uids).sort()).toEqual([...(batch?.uids ?? [])].sort());
    for (const i of [0, 1, 2]) {
      expect(await job("too-large-batch", i)).toMatchObject({ status: "stored", attempts: 1 });
    }
    expect(await job("too-large")).toMatchObject({ status: "failed", attempts: 1, lastError: "HTTP 413 (request too large for the archive)" });
  });

  it("429 and 503 with Retry-After (seconds, HTTP-date): retried no sooner than asked, then stored", async () => {
    const throttled = requestsOf("throttled");
    expect(throttled).toHaveLength(2);
    // Backoff alone would retry after ~300 ms; the archive asked for 2 s.
    expect((throttled[1]?.at ?? 0) - (throttled[0]?.at ?? 0)).toBeGreaterThanOrEqual(1_950);
    expect(await job("throttled")).toMatchObject({ status: "stored", attempts: 2 });
    expect(await seenOf("throttled")).toContain("queued: HTTP 429, Retry-After 2 s");
    const unavailable = requestsOf("unavailable-date");
    expect(unavailable).toHaveLength(2);
    // An HTTP-date has whole seconds: "now + 3 s" is at least 2 s away.
    expect((unavailable[1]?.at ?? 0) - (unavailable[0]?.at ?? 0)).toBeGreaterThanOrEqual(1_900);
    expect(await job("unavailable-date")).toMatchObject({ status: "stored", attempts: 2 });
  });

  it("500: transient, retried with backoff until stored", async () => {
    expect(await job("server-error")).toMatchObject({ status: "stored", attempts: 3 });
    expect((await seenOf("server-error")).some((s) => s === "queued: HTTP 500")).toBe(true);
  });

  it("connection reset mid-body and no answer (timeout): transient, then stored", async () => {
    expect(requestsOf("reset")[0]?.bytes).toBeLessThan(cases.get("reset")?.files[0]?.size ?? 0);
    expect(await job("reset")).toMatchObject({ status: "stored" });
    expect((await seenOf("reset")).some((s) => /^queued: no response: (ECONNRESET|EPIPE)/.test(s))).toBe(true);
    expect(await job("hang")).toMatchObject({ status: "stored", attempts: 2 });
    expect((await seenOf("hang")).some((s) => /^queued: no response: ETIMEDOUT/.test(s))).toBe(true);
  });

  it("a 200 that does not list the instance (or is not DICOM JSON) is not stored: retried until it is listed", async () => {
    expect(requestsOf("unlisted")).toHaveLength(3);
    expect(await job("unlisted")).toMatchObject({ status: "stored", attempts: 3 });
    expect((await seenOf("unlisted")).some((s) => s === "queued: HTTP 200 without the instance in ReferencedSOPSequence")).toBe(true);
  });

  it("an audit event for each end state, none for the retries", async () => {
    const stored = await t.db.deliveryJob.count({ where: { status: "stored" } });
    const failed = await t.db.deliveryJob.count({ where: { status: "failed" } });
    expect(await t.db.auditEvent.count({ where: { action: "delivery.stored" } })).toBe(stored);
    expect(await t.db.auditEvent.count({ where: { action: "delivery.failed" } })).toBe(failed);
  });
});
