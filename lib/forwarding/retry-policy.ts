/**
 * When to try a transient delivery failure again (reliability-matrix.md §2.4 proposal): exponential backoff
 * base · 2ⁿ with ±20 % jitter, capped at 15 min, retried until a horizon measured from the job's creation
 * (default 24 h, DELIVERY_RETRY_HORIZON_HOURS), after which the job is failed with its last error. An archive's
 * Retry-After (429/503) lengthens the wait, never shortens it, and never past the horizon. Pure: the clock and the random source are
 * parameters, so tests can pin them.
 */

export type TRetryPolicy = {
  /** Delay before the first retry, ms (10 s in production; ~100 ms in tests). */
  baseMs: number;
  /** Largest delay between two attempts, ms. */
  capMs: number;
  /** Relative jitter: 0.2 spreads each delay over [0.8, 1.2] × its nominal value (never above capMs). */
  jitter: number;
  /** Transient failures are retried until createdAt + horizonMs, then the job fails. */
  horizonMs: number;
};

export const DEFAULT_RETRY_POLICY: TRetryPolicy = {
  baseMs: 10_000,
  capMs: 15 * 60_000,
  jitter: 0.2,
  horizonMs: 24 * 60 * 60_000,
};

/**
 * The delay before the next attempt after `failedAttempts` transient failures.
 * @param failedAttempts - attempts already made (1 after the first failure); the exponent is failedAttempts - 1
 * @param policy - backoff settings
 * @param random - uniform source in [0, 1)
 */
export const computeBackoffMs = (
  failedAttempts: number,
  policy: TRetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number => {
  const exponent = Math.max(0, failedAttempts - 1);
  // 2^exponent overflows to Infinity long after it passed the cap; min() keeps the arithmetic finite.
  const nominal = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(exponent, 60));
  const factor = 1 + policy.jitter * (2 * random() - 1);

  return Math.round(Math.min(policy.capMs, nominal * factor));
};

export type TRetryDecision = { kind: "retry"; nextAttemptAt: Date } | { kind: "give-up" };

/**
 * Decide what to do with a job after a transient failure: retry later, or give up once the horizon has passed.
 * The last retry is scheduled at the horizon itself, so a job always gets a try at its deadline.
 * @param job - the job's creation time and the attempts made so far, including the one that just failed
 * @param now - the current time
 * @param policy - backoff and horizon
 * @param random - uniform source in [0, 1)
 * @param minDelayMs - wait at least this long (an archive's Retry-After); the horizon still bounds it
 */
export const decideRetry = (
  job: { createdAt: Date; attempts: number },
  now: Date,
  policy: TRetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
  minDelayMs = 0,
): TRetryDecision => {
  const deadline = job.createdAt.getTime() + policy.horizonMs;
  if (now.getTime() >= deadline) {
    return { kind: "give-up" };
  }
  const delay = Math.max(minDelayMs, computeBackoffMs(job.attempts, policy, random));
  const at = Math.min(deadline, now.getTime() + delay);

  return { kind: "retry", nextAttemptAt: new Date(at) };
};
