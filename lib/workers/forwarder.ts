/**
 * Forwarder process entry (`npx tsx lib/workers/forwarder.ts`): environment → database → heartbeat →
 * forwarding loop. SIGTERM / SIGINT stop claiming, let the in-flight sends finish and be recorded, then exit 0.
 * A job that was being sent when the process died (SIGKILL, power loss) keeps its lease until it expires and is
 * then claimed again by this or another forwarder; nothing else needs recovering at start.
 *
 * Tuning variables (all optional; milliseconds unless stated):
 * FORWARDER_POLL_MS (250), FORWARDER_LEASE_MS (30000: a killed forwarder's jobs are sent again after at most this),
 * FORWARDER_TIMEOUT_MS (60000), FORWARDER_RETRY_BASE_MS (10000), FORWARDER_RETRY_CAP_MS (900000),
 * FORWARDER_RETRY_HORIZON_MS (overrides DELIVERY_RETRY_HORIZON_HOURS of lib/env.ts, default 24 h),
 * FORWARDER_BATCH_SIZE (64: jobs per claim), FORWARDER_CONCURRENCY (unset: requests/associations in flight per destination
 * adapt within Destination.maxParallel, lib/forwarding/adaptive-parallelism.ts; set: fixed at that number),
 * FORWARDER_PURGE_INTERVAL_MS (3600000): how often local media past MEDIA_RETENTION_DAYS is purged
 * (lib/forwarding/purge-media.ts); the first run is right after start.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { getDb, prepareDb } from "../db";
import { getEnv } from "../env";
import { purgeMedia } from "../forwarding/purge-media";
import { runForwarder, type TForwarderOptions } from "../forwarding/run-forwarder";
import { createLogger } from "../logger";
import { startHeartbeat } from "./heartbeat";

const ms = z.preprocess((v) => (v === "" ? undefined : v), z.coerce.number().int().positive().optional());

const ZForwarderEnvSchema = z.object({
  FORWARDER_POLL_MS: ms,
  FORWARDER_LEASE_MS: ms,
  FORWARDER_TIMEOUT_MS: ms,
  FORWARDER_RETRY_BASE_MS: ms,
  FORWARDER_RETRY_CAP_MS: ms,
  FORWARDER_RETRY_HORIZON_MS: ms,
  FORWARDER_BATCH_SIZE: ms,
  FORWARDER_CONCURRENCY: ms,
  FORWARDER_PURGE_INTERVAL_MS: ms,
});

/** Forwarder tuning from the environment (lib/env.ts holds the app-wide variables). */
const readForwarderEnv = (source: NodeJS.ProcessEnv = process.env): Omit<TForwarderOptions, "db" | "dataDir"> & { purgeIntervalMs?: number } => {
  const parsed = ZForwarderEnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid forwarder configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const retryPolicy = Object.fromEntries(
    Object.entries({ baseMs: e.FORWARDER_RETRY_BASE_MS, capMs: e.FORWARDER_RETRY_CAP_MS, horizonMs: e.FORWARDER_RETRY_HORIZON_MS }).filter(
      ([, v]) => v !== undefined,
    ),
  );

  return {
    pollMs: e.FORWARDER_POLL_MS,
    leaseMs: e.FORWARDER_LEASE_MS,
    timeoutMs: e.FORWARDER_TIMEOUT_MS,
    batchSize: e.FORWARDER_BATCH_SIZE,
    concurrency: e.FORWARDER_CONCURRENCY,
    retryPolicy,
    purgeIntervalMs: e.FORWARDER_PURGE_INTERVAL_MS,
  };
};

export type TRunningForwarder = { workerId: string; stop: () => Promise<void> };

export type TMediaPurgeOptions = {
  /** MEDIA_RETENTION_DAYS; null = never purge. */
  retentionDays: number | null;
  /** Between two runs, ms (1 h). */
  intervalMs?: number;
};

const PURGE_BATCH = 200;

/** Purge local media now and then every intervalMs, one run at a time; a failed run is logged and retried later. */
const startMediaPurge = (db: TForwarderOptions["db"], dataDir: string, { retentionDays, intervalMs = 60 * 60_000 }: TMediaPurgeOptions): (() => Promise<void>) => {
  if (retentionDays === null) {
    return async () => {};
  }
  const log = createLogger("media-purge");
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let busy = false;
  const tick = (): void => {
    // A run longer than the interval is not stacked with another.
    if (busy) {
      return;
    }
    busy = true;
    running = (async () => {
      try {
        // Batches of PURGE_BATCH until a batch comes back short: a backlog is cleared in one run.
        let total = { purged: 0, filesDeleted: 0, fileErrors: 0 };
        for (let more = true; more && !stopped; ) {
          const r = await purgeMedia(db, { dataDir, retentionDays, limit: PURGE_BATCH });
          total = { purged: total.purged + r.purged, filesDeleted: total.filesDeleted + r.filesDeleted, fileErrors: total.fileErrors + r.fileErrors };
          more = r.purged === PURGE_BATCH;
        }
        if (total.purged > 0 || total.fileErrors > 0) {
          log.info("local media purged", { instances: total.purged, files: total.filesDeleted, fileErrors: total.fileErrors, retentionDays });
        }
      } catch (err) {
        log.error("media purge failed", { error: (err as Error).message });
      } finally {
        busy = false;
      }
    })();
  };
  tick();
  const timer = setInterval(tick, intervalMs);

  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
};

/**
 * Start the heartbeat, the forwarding loop and the media purge in this process (the entry point uses it; so do
 * in-process tests).
 * @param options - database, DATA_DIR and loop tuning; `mediaPurge` to purge local media (off when absent)
 * @returns stop(): drain the loop, then stop the purge and remove the heartbeat
 */
export const startForwarder = async (options: TForwarderOptions & { mediaPurge?: TMediaPurgeOptions }): Promise<TRunningForwarder> => {
  const { mediaPurge, ...loopOptions } = options;
  const stopHeartbeat = await startHeartbeat(options.db, "forwarder");
  const forwarder = runForwarder(loopOptions);
  const stopPurge = mediaPurge ? startMediaPurge(options.db, options.dataDir, mediaPurge) : async () => {};

  return {
    workerId: forwarder.workerId,
    stop: async () => {
      await forwarder.stop();
      await stopPurge();
      await stopHeartbeat();
    },
  };
};

const main = async (): Promise<void> => {
  const log = createLogger("forwarder");
  const env = getEnv();
  const db = getDb();
  await prepareDb(db);
  const { purgeIntervalMs, retryPolicy, ...tuning } = readForwarderEnv();
  const forwarder = await startForwarder({
    db,
    dataDir: env.dataDir,
    ...tuning,
    retryPolicy: { horizonMs: env.deliveryRetryHorizonMs, ...retryPolicy },
    mediaPurge: { retentionDays: env.mediaRetentionDays, intervalMs: purgeIntervalMs },
  });
  let draining = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (draining) {
      return;
    }
    draining = true;
    log.info("draining", { signal });
    forwarder
      .stop()
      .then(() => db.$disconnect())
      .then(
        () => process.exit(0),
        (err: Error) => {
          log.error("shutdown failed", { error: err.message });
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
};

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  main().catch((err: Error) => {
    createLogger("forwarder").error("forwarder could not start", { error: err.message });
    process.exit(1);
  });
}
