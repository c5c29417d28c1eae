/**
 * One delivery attempt for a group of claimed jobs bound for the same destination: re-stamp a file whose identity
 * changed since capture (restamp-instance.ts), check each file against the SHA-256 recorded for it, send the good ones in one STOW-RS request, classify each instance's result
 * (a batch refused with 413 is sent again one by one; with Destination.verifyWithQido a success is confirmed by
 * QIDO-RS) and record it; a transient failure is retried no sooner than the archive's Retry-After. Every attempt reads the file again from DATA_DIR, so every retry sends the same bytes under the
 * same SOP Instance UID (reliability-matrix.md §2.2); a file that no longer matches its digest is never sent.
 */
import type http from "node:http";
import path from "node:path";
import type { TDb } from "../db";
import type { createLogger } from "../logger";
import type { TClaimedJob } from "./claim-next-jobs";
import { classifyResult, type TDeliveryOutcome } from "./classify-result";
import { completeJob, completeJobs, type TCompletion } from "./complete-job";
import { restampInstance } from "./restamp-instance";
import { decideRetry, type TRetryPolicy } from "./retry-policy";
import { cStoreFiles } from "./dimse/c-store-files";
import { parseDimseUrl } from "./parse-dimse-url";
import { stowInstances, type TStowInstanceResult, type TTransferObserver } from "./stow-rs-client";
import { confirmWithQido } from "./verify-stored";
import { sha256File } from "../sha256-file";
import { removeStampedFiles, stampBucketIdentity } from "./stamp-bucket-identity";

export type TDeliverContext = {
  db: TDb;
  dataDir: string;
  workerId: string;
  /** STOW-RS inactivity timeout, ms. */
  timeoutMs: number;
  retryPolicy: TRetryPolicy;
  log: ReturnType<typeof createLogger>;
  agent?: http.Agent;
  now?: () => Date;
  /** STOW-RS: the destination's Authorization header (stow-transport.ts). */
  headers?: Record<string, string>;
  /** Bytes sent and round trips, for the parallelism controller (run-forwarder.ts). */
  observer?: TTransferObserver;
  /** Told every outcome (the controller backs off on transient ones). */
  onOutcome?: (outcome: TDeliveryOutcome) => void;
};

/** Jobs of one group prepared at the same time (their files read and hashed while the others wait on I/O). */
const PREPARE_CONCURRENCY = 8;

/** Resolve and verify the job's file; an outcome instead of a path when it must not be sent. */
const checkLocalFile = async (job: TClaimedJob, { dataDir, db }: TDeliverContext): Promise<string | TDeliveryOutcome> => {
  const root = path.resolve(dataDir);
  const file = path.resolve(root, job.instance.filePath);
  if (!file.startsWith(root + path.sep)) {
    return { kind: "permanent", detail: "local file path is outside DATA_DIR" };
  }
  try {
    const digest = await sha256File(file);
    if (digest !== job.instance.sha256.toLowerCase()) {
      return { kind: "permanent", detail: "local file corrupted (SHA-256 differs from the one recorded at capture)" };
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "EIO";
    // A missing file will not come back; anything else (EIO, EACCES, a stale mount) may pass.
    if (code !== "ENOENT") {
      return { kind: "transient", detail: `cannot read local file (${code})` };
    }
    // Deleted on purpose after every delivery was stored (purge-media.ts), or lost.
    const purged = await db.instance.findUnique({ where: { id: job.instance.id }, select: { purgedAt: true } });

    return { kind: "permanent", detail: purged?.purgedAt ? "local copy purged (retention period over); cannot send again" : "local file missing" };
  }

  return file;
};

const toCompletion = (job: TClaimedJob, outcome: TDeliveryOutcome, ctx: TDeliverContext, now: Date): TCompletion => {
  if (outcome.kind === "stored") {
    return { kind: "stored", detail: outcome.detail, warning: outcome.warning, verifiedAt: outcome.verifiedAt };
  }
  if (outcome.kind === "permanent") {
    return { kind: "failed", error: outcome.detail };
  }
  const decision = decideRetry({ createdAt: job.createdAt, attempts: job.attempts + 1 }, now, ctx.retryPolicy, Math.random, outcome.retryAfterMs);
  if (decision.kind === "give-up") {
    return { kind: "failed", error: `gave up after ${job.attempts + 1} attempts (retry horizon reached): ${outcome.detail}` };
  }

  return { kind: "rescheduled", error: outcome.detail, nextAttemptAt: decision.nextAttemptAt };
};

/** Log one recorded outcome (PHI-free: job id, SOP Instance UID, attempt, classification). */
const logCompletion = (job: TClaimedJob, completion: TCompletion, applied: boolean, ctx: TDeliverContext): void => {
  const fields = { jobId: job.id, sopInstanceUid: job.instance.sopInstanceUid, attempt: job.attempts + 1 };
  if (!applied) {
    ctx.log.warn("lease lost before completion; result dropped", { ...fields, outcome: completion.kind });
  } else if (completion.kind === "stored") {
    ctx.log.info("delivery stored", { ...fields, detail: completion.detail });
  } else if (completion.kind === "failed") {
    ctx.log.error("delivery failed", { ...fields, error: completion.error });
  } else {
    ctx.log.warn("delivery will be retried", { ...fields, error: completion.error, nextAttemptAt: completion.nextAttemptAt.toISOString() });
  }
};

const record = async (job: TClaimedJob, outcome: TDeliveryOutcome, ctx: TDeliverContext): Promise<void> => {
  ctx.onOutcome?.(outcome);
  const completion = toCompletion(job, outcome, ctx, ctx.now?.() ?? new Date());
  const applied = await completeJob(ctx.db, { job, workerId: ctx.workerId, completion, now: ctx.now?.() });
  logCompletion(job, completion, applied, ctx);
};

/**
 * Record the outcomes of one request together (complete-job.ts completeJobs): one transaction with a few
 * statements per request instead of a commit, an UPDATE and an audit INSERT per instance (on SQLite with
 * synchronous=FULL each commit is an fsync; every statement costs the forwarder CPU the archive needs too).
 */
const recordAll = async (sent: { job: TClaimedJob }[], outcomes: TDeliveryOutcome[], ctx: TDeliverContext): Promise<void> => {
  const now = ctx.now?.() ?? new Date();
  const items = sent.map(({ job }, i) => {
    const outcome = outcomes[i] ?? { kind: "transient", detail: "no result" };
    ctx.onOutcome?.(outcome);

    return { job, completion: toCompletion(job, outcome, ctx, now) };
  });
  const applied = await completeJobs(ctx.db, { items, workerId: ctx.workerId, now: ctx.now?.() });
  for (const [i, { job, completion }] of items.entries()) {
    logCompletion(job, completion, applied[i] ?? false, ctx);
  }
};

/**
 * C-STORE of the files on one association (lib/forwarding/dimse): each file in its own transfer syntax; success and
 * warning statuses count as stored, the rest as the status classification says (out of resources, connection
 * problems and timeouts: transient).
 */
const storeOverDimse = async (
  url: string,
  sendable: { job: TClaimedJob; file: string }[],
  timeoutMs: number,
  observer?: TTransferObserver,
): Promise<TDeliveryOutcome[]> => {
  let target;
  try {
    target = parseDimseUrl(url);
  } catch (error) {
    return sendable.map(() => ({ kind: "permanent", detail: (error as Error).message }));
  }
  const results = await cStoreFiles(
    { ...target, timeouts: { dimseMs: timeoutMs } },
    sendable.map(({ job, file }) => ({
      path: file,
      sopClassUid: job.instance.sopClassUid,
      sopInstanceUid: job.instance.sopInstanceUid,
      transferSyntaxUid: job.instance.transferSyntaxUid,
    })),
    { onStored: (i) => observer?.onBytes?.(sendable[i]?.job.instance.size ?? 0) },
  );

  return results.map((r): TDeliveryOutcome =>
    r.statusKind === "success" || r.statusKind === "warning"
      ? { kind: "stored", detail: `C-STORE ${r.detail}`, ...(r.statusKind === "warning" ? { warning: r.detail } : {}) }
      : { kind: r.statusKind, detail: `C-STORE ${r.detail}` },
  );
};

/**
 * Deliver jobs that share one destination, then complete each of them.
 * @param jobs - claimed jobs, all for jobs[0].destination
 * @param ctx - database, DATA_DIR, worker id, timeout, retry policy, logger
 */
export const deliverJobGroup = async (jobs: TClaimedJob[], ctx: TDeliverContext): Promise<void> => {
  const stamped: string[] = [];
  try {
    await deliverJobs(jobs, ctx, stamped);
  } finally {
    await removeStampedFiles(stamped);
  }
};

const deliverJobs = async (jobs: TClaimedJob[], ctx: TDeliverContext, stamped: string[]): Promise<void> => {
  /** One job made ready to send (its file checked, re-stamped or bucket-stamped as needed), or recorded. */
  const prepare = async (claimed: TClaimedJob): Promise<{ job: TClaimedJob; file: string } | null> => {
    // The identity may have changed since capture (merge, MRN/visit change, correction): re-stamp first.
    const instance = await restampInstance(ctx.db, ctx.dataDir, claimed);
    if ("kind" in instance) {
      await record(claimed, instance, ctx);
      return null;
    }
    const job = { ...claimed, instance };
    const checked = await checkLocalFile(job, ctx);
    // The bucket identity of the job's rule version goes into a temporary copy, never into the file itself.
    const bytes = typeof checked === "string" ? await stampBucketIdentity(job, checked, ctx.dataDir) : checked;
    if ("file" in bytes) {
      if (bytes.temporary) {
        stamped.push(bytes.file);
      }
      return { job, file: bytes.file };
    }
    await record(job, bytes, ctx);
    return null;
  };
  // Several at a time (file reads and hashing overlap), sent in the order claimed.
  const prepared: ({ job: TClaimedJob; file: string } | null)[] = new Array(jobs.length).fill(null);
  let next = 0;
  // allSettled: an unexpected error is rethrown only after every preparation has ended, so no temporary file is
  // added to `stamped` after the caller has removed them.
  const lanes = await Promise.allSettled(
    Array.from({ length: Math.min(PREPARE_CONCURRENCY, jobs.length) }, async () => {
      for (let i = next++; i < jobs.length; i = next++) {
        prepared[i] = await prepare(jobs[i]!);
      }
    }),
  );
  const failure = lanes.find((l): l is PromiseRejectedResult => l.status === "rejected");
  if (failure) {
    throw failure.reason;
  }
  const sendable = prepared.filter((p): p is { job: TClaimedJob; file: string } => p !== null);
  const first = sendable[0];
  if (!first) {
    return;
  }
  let outcomes: TDeliveryOutcome[];
  if (first.job.destination.kind === "dimse") {
    outcomes = await storeOverDimse(first.job.destination.url, sendable, ctx.timeoutMs, ctx.observer);
    await recordAll(sendable, outcomes, ctx);

    return;
  }
  const stow = (items: typeof sendable): Promise<TStowInstanceResult[]> =>
    stowInstances({
      baseUrl: first.job.destination.url,
      files: items.map(({ job, file }) => ({ path: file, sopInstanceUid: job.instance.sopInstanceUid, sopClassUid: job.instance.sopClassUid })),
      timeoutMs: ctx.timeoutMs,
      agent: ctx.agent,
      headers: ctx.headers,
      observer: ctx.observer,
    });
  try {
    let results = await stow(sendable);
    if (sendable.length > 1 && results.every((r) => r.status === 413)) {
      // Too large together: each on its own, now (classify-result.ts); alone, a 413 is permanent.
      results = [];
      for (const item of sendable) {
        results.push(...(await stow([item])));
      }
    }
    outcomes = results.map((r) => classifyResult(r));
  } catch (err) {
    // Nothing was sent: the destination URL is unusable (configuration: permanent), or a file vanished between
    // the check and the request (the next attempt's check will say what happened to it).
    // Only the error code goes into lastError: messages may carry file paths.
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    const outcome: TDeliveryOutcome =
      code === "ERR_INVALID_URL"
        ? { kind: "permanent", detail: "destination URL is not a valid URL" }
        : { kind: "transient", detail: `request not sent (${code})` };
    outcomes = sendable.map(() => outcome);
  }
  // Destination.verifyWithQido: a success counts only once QIDO-RS finds the instance (verify-stored.ts).
  outcomes = await confirmWithQido(ctx.db, first.job.destination.id, sendable.map(({ job }) => job.instance.sopInstanceUid), outcomes, ctx.timeoutMs);
  await recordAll(sendable, outcomes, ctx);
};
