/**
 * The forwarder loop: poll the DeliveryJob outbox, claim due jobs under a lease, send them to their
 * destinations over STOW-RS (PS3.18 §10.5) and record each outcome.
 *
 * Design, in the order things happen in one cycle:
 * 1. claim up to `batchSize` due jobs (compare-and-set, safe with several forwarders on PostgreSQL);
 * 2. group them per destination, at most `maxInstancesPerRequest` instances per STOW-RS request, and send up
 *    to `concurrency` requests at a time;
 * 3. while they are in flight, renew the leases every leaseMs / 3, so a slow transfer is never re-claimed
 *    and sent a second time by another forwarder;
 * 4. complete every job (stored / failed / rescheduled), then claim again at once, or sleep `pollMs` when
 *    nothing was due.
 * A cycle starts only after the previous one finished, so this process never holds the same job twice; `stop()`
 * lets the running cycle finish (the in-flight sends complete and are recorded) and then resolves.
 * A database error ends the cycle, not the process: claimed jobs keep their lease, which expires and makes them
 * due again.
 */
import crypto from "node:crypto";
import type http from "node:http";
import os from "node:os";
import type { TDb } from "../db";
import { createLogger } from "../logger";
import { claimNextJobs, type TClaimedJob } from "./claim-next-jobs";
import { deliverJobGroup } from "./deliver-job-group";
import { extendLeases } from "./extend-leases";
import { DEFAULT_RETRY_POLICY, type TRetryPolicy } from "./retry-policy";

export type TForwarderOptions = {
  db: TDb;
  /** DATA_DIR: Instance.filePath is relative to it. */
  dataDir: string;
  /** DeliveryJob.lockedBy of this forwarder (host:pid:random by default). */
  workerId?: string;
  /** Idle poll interval, ms (250). */
  pollMs?: number;
  /** Jobs claimed per cycle (8). */
  batchSize?: number;
  /** Instances per STOW-RS request (4). */
  maxInstancesPerRequest?: number;
  /** Parallel STOW-RS requests (2, reliability-matrix.md §2.4). */
  concurrency?: number;
  /** Lease on claimed jobs, ms (30 s; renewed every third of it while a send runs, so a crashed forwarder's jobs come back within 30 s). */
  leaseMs?: number;
  /** STOW-RS inactivity timeout, ms (60 s). */
  timeoutMs?: number;
  retryPolicy?: Partial<TRetryPolicy>;
  agent?: http.Agent;
};

export type TForwarder = {
  workerId: string;
  /** Stop claiming, wait for the in-flight cycle to finish. */
  stop: () => Promise<void>;
};

const chunk = <T>(items: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(items.slice(i, i + size));
  }

  return out;
};

/** Run `tasks` with at most `limit` at a time. */
const runLimited = async (tasks: (() => Promise<void>)[], limit: number): Promise<void> => {
  const queue = [...tasks];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let task = queue.shift(); task; task = queue.shift()) {
      await task();
    }
  });
  await Promise.all(workers);
};

/**
 * Start the loop; it runs until stop() is called.
 * @param options - database, DATA_DIR and tuning (all optional beyond db and dataDir)
 */
export const runForwarder = (options: TForwarderOptions): TForwarder => {
  const { db, dataDir, pollMs = 250, batchSize = 8, maxInstancesPerRequest = 4, concurrency = 2 } = options;
  const { leaseMs = 30_000, timeoutMs = 60_000, agent } = options;
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString("hex")}`;
  const retryPolicy: TRetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
  const log = createLogger("forwarder");
  const ctx = { db, dataDir, workerId, timeoutMs, retryPolicy, log, agent };
  let stopping = false;
  let wake: () => void = () => {};

  const deliver = async (jobs: TClaimedJob[]): Promise<void> => {
    const byDestination = new Map<string, TClaimedJob[]>();
    for (const job of jobs) {
      byDestination.set(job.destination.id, [...(byDestination.get(job.destination.id) ?? []), job]);
    }
    const groups = [...byDestination.values()].flatMap((g) => chunk(g, maxInstancesPerRequest));
    const ids = jobs.map((j) => j.id);
    const renewal = setInterval(() => {
      extendLeases(db, { workerId, jobIds: ids, leaseMs }).catch((err: Error) => log.warn("lease renewal failed", { error: err.message }));
    }, Math.max(100, Math.floor(leaseMs / 3)));
    try {
      await runLimited(
        groups.map((group) => async () => {
          try {
            await deliverJobGroup(group, ctx);
          } catch (err) {
            // Most likely the database: the jobs stay `sending` until their lease expires, then run again.
            log.error("delivery attempt not recorded", { jobIds: group.map((j) => j.id).join(","), error: (err as Error).message });
          }
        }),
        concurrency,
      );
    } finally {
      clearInterval(renewal);
    }
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = async (): Promise<void> => {
    let failures = 0;
    while (!stopping) {
      let claimed = 0;
      try {
        const jobs = await claimNextJobs(db, { workerId, limit: batchSize, leaseMs });
        claimed = jobs.length;
        for (const job of jobs.filter((j) => j.reclaimed)) {
          log.warn("re-claimed a job whose lease had expired", { jobId: job.id, sopInstanceUid: job.instance.sopInstanceUid });
        }
        if (claimed > 0) {
          await deliver(jobs);
        }
        failures = 0;
      } catch (err) {
        failures += 1;
        log.error("forwarder cycle failed", { error: (err as Error).message, failures });
      }
      if (claimed === 0 && !stopping) {
        // Back off up to ~5 s while the database keeps failing.
        await sleep(failures > 0 ? Math.min(5_000, pollMs * 2 ** Math.min(failures, 5)) : pollMs);
      }
    }
  };

  log.info("forwarder started", { workerId, pollMs, batchSize, leaseMs });
  const running = loop();

  return {
    workerId,
    stop: async () => {
      stopping = true;
      wake();
      await running;
      log.info("forwarder stopped", { workerId });
    },
  };
};
