/**
 * The forwarder loop: poll the DeliveryJob outbox, claim due jobs under a lease, send them to their destinations
 * (STOW-RS, PS3.18 §10.5, or DIMSE C-STORE) and record each outcome.
 *
 * Design: a continuous pipeline per destination, not claim → send → wait-for-all cycles.
 * 1. Claim (claim-next-jobs.ts: compare-and-set, safe with several forwarders on PostgreSQL) whenever fewer than
 *    `batchSize` claimed jobs wait locally and fewer than `maxHeldJobs` are held; claimed jobs wait in a queue per
 *    destination.
 * 2. Each destination keeps up to N requests (STOW-RS) or associations (C-STORE) in flight and refills a slot as
 *    soon as one completes. N is chosen by adaptive-parallelism.ts from measured throughput within
 *    [1, Destination.maxParallel] (or fixed by `concurrency`).
 * 3. A request carries several small instances (bounded by `maxInstancesPerRequest` and `maxRequestBytes`, spread
 *    over the free slots, at least 8 a request when that many wait); an instance of at least half of `maxRequestBytes` goes alone. For C-STORE the same
 *    batch is the list of files sent on one association.
 * 4. Every held job's lease is renewed every leaseMs / 3, so a slow transfer is never re-claimed and sent a second
 *    time by another forwarder. A job this process already holds is never started twice.
 * 5. `stop()` stops claiming and dispatching, waits for every in-flight request to complete and be recorded, and
 *    hands the claimed-but-unsent jobs back to the queue (no attempt counted).
 * A database error skips a round, not the process: claimed jobs keep their lease, which expires and makes them due
 * again.
 */
import crypto from "node:crypto";
import type http from "node:http";
import os from "node:os";
import type { TDb } from "../db";
import { createLogger } from "../logger";
import { createParallelismController, type TParallelismController, type TParallelismStep } from "./adaptive-parallelism";
import { claimNextJobs, type TClaimedJob } from "./claim-next-jobs";
import { deliverJobGroup, type TDeliverContext } from "./deliver-job-group";
import { extendLeases } from "./extend-leases";
import { DEFAULT_RETRY_POLICY, type TRetryPolicy } from "./retry-policy";
import { createStowTransport, type TStowAuthConfig, type TStowTransport } from "./stow-transport";

export type TForwarderOptions = {
  db: TDb;
  /** DATA_DIR: Instance.filePath is relative to it. */
  dataDir: string;
  /** DeliveryJob.lockedBy of this forwarder (host:pid:random by default). */
  workerId?: string;
  /** Idle poll interval, ms (250). */
  pollMs?: number;
  /** Jobs claimed at a time (64). */
  batchSize?: number;
  /** Claimed jobs held at most, waiting or in flight (256). */
  maxHeldJobs?: number;
  /** Instances per STOW-RS request / files per association (32). */
  maxInstancesPerRequest?: number;
  /** Bytes per STOW-RS request / association when batching (8 MiB); larger instances go alone. */
  maxRequestBytes?: number;
  /** Fixed requests in flight per destination instead of the adaptive choice (still ≤ Destination.maxParallel). */
  concurrency?: number;
  /** Lease on claimed jobs, ms (30 s; renewed every third of it, so a crashed forwarder's jobs come back within 30 s). */
  leaseMs?: number;
  /** STOW-RS inactivity timeout, ms (60 s). */
  timeoutMs?: number;
  retryPolicy?: Partial<TRetryPolicy>;
  /** Connection pool for every STOW-RS destination instead of one per destination (tests). */
  agent?: http.Agent;
  /** Told each parallelism decision (tests, benchmark). */
  onParallelism?: (destinationId: string, step: TParallelismStep) => void;
};

export type TForwarder = {
  workerId: string;
  /** Stop claiming, wait for the in-flight sends to finish. */
  stop: () => Promise<void>;
};

type TDestinationConfig = TStowAuthConfig & { kind: string };

type TDestinationState = {
  queue: TClaimedJob[];
  inFlight: number;
  controller: TParallelismController;
  config?: TDestinationConfig;
  loadedAt: number;
  transport?: TStowTransport;
};

/** Fewest instances a request carries when more are waiting (spreading over free slots stops here). */
const MIN_BATCH = 8;

/** Destination settings are re-read this often (an admin may change the CA, credentials or maxParallel). */
const CONFIG_TTL_MS = 10_000;

/**
 * Take the next request's jobs from a destination queue: the first job alone when it is large, else the small
 * jobs in queue order up to `count` and `bytes` (large ones stay for a request of their own).
 */
const takeBatch = (queue: TClaimedJob[], count: number, bytes: number): TClaimedJob[] => {
  const first = queue[0] as TClaimedJob;
  if (first.instance.size * 2 >= bytes) {
    return queue.splice(0, 1);
  }
  const picked: number[] = [];
  let total = 0;
  for (let i = 0; i < queue.length && picked.length < count; i++) {
    const size = (queue[i] as TClaimedJob).instance.size;
    if (size * 2 < bytes && total + size <= bytes) {
      picked.push(i);
      total += size;
    }
  }

  return picked.reverse().flatMap((i) => queue.splice(i, 1)).reverse();
};

/**
 * Start the loop; it runs until stop() is called.
 * @param options - database, DATA_DIR and tuning (all optional beyond db and dataDir)
 */
export const runForwarder = (options: TForwarderOptions): TForwarder => {
  const { db, dataDir, pollMs = 250, batchSize = 64, maxHeldJobs = 256, maxInstancesPerRequest = 32 } = options;
  const { maxRequestBytes = 8 * 1024 * 1024, concurrency, leaseMs = 30_000, timeoutMs = 60_000, agent } = options;
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString("hex")}`;
  const retryPolicy: TRetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
  const log = createLogger("forwarder");
  const baseCtx: TDeliverContext = { db, dataDir, workerId, timeoutMs, retryPolicy, log, agent };
  const destinations = new Map<string, TDestinationState>();
  /** Every job claimed and not yet recorded (waiting locally or in flight). */
  const held = new Set<string>();
  const running = new Set<Promise<void>>();
  let stopping = false;
  let woken = false;
  let wake: () => void = () => {
    woken = true;
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (woken) {
        woken = false;
        resolve();

        return;
      }
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = () => {
          woken = true;
        };
        resolve();
      }
      wake = done;
    });

  const stateOf = (id: string): TDestinationState => {
    let state = destinations.get(id);
    if (!state) {
      state = { queue: [], inFlight: 0, loadedAt: 0, controller: createParallelismController({ max: 1 }) };
      destinations.set(id, state);
    }

    return state;
  };

  /** Read the settings of destinations with work whose copy is stale; rebuild the transport when they changed. */
  const refreshConfigs = async (): Promise<void> => {
    const now = Date.now();
    for (const [id, state] of destinations) {
      if (state.queue.length === 0 || now - state.loadedAt < CONFIG_TTL_MS) {
        continue;
      }
      const config = await db.destination.findUnique({
        where: { id },
        select: { url: true, kind: true, authType: true, authUsername: true, authSecret: true, caCertPem: true, maxParallel: true },
      });
      if (!config) {
        continue;
      }
      if (!state.config || state.config.maxParallel !== config.maxParallel) {
        state.controller = createParallelismController({ max: Math.max(1, config.maxParallel), initial: concurrency });
      }
      state.config = config;
      state.loadedAt = now;
      if (config.kind !== "dimse") {
        const next = createStowTransport(config);
        if (next.key !== state.transport?.key) {
          state.transport?.agent.destroy();
          state.transport = next;
        }
      }
    }
  };

  const limitOf = (state: TDestinationState): number => {
    const max = Math.max(1, state.config?.maxParallel ?? 1);

    return concurrency ? Math.min(concurrency, max) : state.controller.limit();
  };

  const start = (state: TDestinationState, group: TClaimedJob[]): void => {
    const { controller } = state;
    let overloaded = false;
    state.inFlight += 1;
    controller.onInFlight(state.inFlight, performance.now());
    const ctx: TDeliverContext = {
      ...baseCtx,
      agent: agent ?? state.transport?.agent,
      headers: state.transport?.headers,
      observer: { onBytes: (n) => controller.onBytes(n, performance.now()), onRoundTrip: (ms) => controller.onRoundTrip(ms) },
      onOutcome: (outcome) => {
        overloaded ||= outcome.kind === "transient";
      },
    };
    const task = deliverJobGroup(group, ctx)
      .catch((err: Error) => {
        // Most likely the database: the jobs stay `sending` until their lease expires, then run again.
        log.error("delivery attempt not recorded", { jobIds: group.map((j) => j.id).join(","), error: err.message });
      })
      .finally(() => {
        state.inFlight -= 1;
        controller.onInFlight(state.inFlight, performance.now());
        if (overloaded && !concurrency) {
          controller.onFailure(performance.now());
        }
        for (const job of group) {
          held.delete(job.id);
        }
        running.delete(task);
        wake();
      });
    running.add(task);
  };

  /** Fill every destination's free slots from its queue. */
  const dispatch = (): void => {
    for (const [id, state] of destinations) {
      if (!state.config) {
        continue;
      }
      const step = concurrency ? undefined : state.controller.tick(performance.now());
      if (step) {
        options.onParallelism?.(id, step);
        log.debug("parallelism", { destinationId: id, ...step });
      }
      const limit = limitOf(state);
      while (state.inFlight < limit && state.queue.length > 0) {
        const free = limit - state.inFlight;
        // Spread the queue over the free slots, but never below 8 instances a request (or the configured maximum):
        // a request costs a round trip and archive overhead of its own.
        const spread = Math.max(Math.min(MIN_BATCH, maxInstancesPerRequest), Math.ceil(state.queue.length / free));
        start(state, takeBatch(state.queue, Math.min(maxInstancesPerRequest, spread), maxRequestBytes));
      }
    }
  };

  /** Claim more when the local queues run low; returns whether a full batch came back (more may be due). */
  const claim = async (): Promise<boolean> => {
    const waiting = [...destinations.values()].reduce((n, s) => n + s.queue.length, 0);
    const room = maxHeldJobs - held.size;
    if (waiting >= batchSize || room <= 0) {
      return false;
    }
    const limit = Math.min(room, batchSize);
    const jobs = await claimNextJobs(db, { workerId, limit, leaseMs });
    for (const job of jobs) {
      if (held.has(job.id)) {
        // Our own lease lapsed (renewal failed) and we took it again: it is already queued or in flight here.
        continue;
      }
      if (job.reclaimed) {
        log.warn("re-claimed a job whose lease had expired", { jobId: job.id, sopInstanceUid: job.instance.sopInstanceUid });
      }
      held.add(job.id);
      stateOf(job.destination.id).queue.push(job);
    }

    return jobs.length === limit;
  };

  const renewal = setInterval(() => {
    if (held.size > 0) {
      extendLeases(db, { workerId, jobIds: [...held], leaseMs }).catch((err: Error) => log.warn("lease renewal failed", { error: err.message }));
    }
  }, Math.max(100, Math.floor(leaseMs / 3)));

  const loop = async (): Promise<void> => {
    let failures = 0;
    while (!stopping) {
      let more = false;
      try {
        more = await claim();
        await refreshConfigs();
        failures = 0;
      } catch (err) {
        failures += 1;
        log.error("forwarder round failed", { error: (err as Error).message, failures });
      }
      if (stopping) {
        break;
      }
      dispatch();
      if (!more) {
        // Back off up to ~5 s while the database keeps failing; tick the controllers at least every 100 ms.
        const idle = failures > 0 ? Math.min(5_000, pollMs * 2 ** Math.min(failures, 5)) : pollMs;
        await sleep(running.size > 0 ? Math.min(idle, 100) : idle);
      }
    }
  };

  /** Hand claimed-but-unsent jobs back to the queue (no attempt counted). */
  const release = async (): Promise<void> => {
    const ids = [...destinations.values()].flatMap((s) => s.queue.splice(0).map((j) => j.id));
    if (ids.length > 0) {
      await db.deliveryJob.updateMany({
        where: { id: { in: ids }, status: "sending", lockedBy: workerId },
        data: { status: "queued", lockedBy: null, leaseUntil: null },
      });
    }
  };

  log.info("forwarder started", { workerId, pollMs, batchSize, leaseMs });
  const looping = loop();

  return {
    workerId,
    stop: async () => {
      stopping = true;
      wake();
      await looping;
      await Promise.all([...running]);
      await release().catch((err: Error) => log.warn("could not hand unsent jobs back; their lease will expire", { error: err.message }));
      clearInterval(renewal);
      for (const state of destinations.values()) {
        state.transport?.agent.destroy();
      }
      log.info("forwarder stopped", { workerId });
    },
  };
};
