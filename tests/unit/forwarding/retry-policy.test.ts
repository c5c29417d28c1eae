import { describe, expect, it } from "vitest";
import { computeBackoffMs, decideRetry, DEFAULT_RETRY_POLICY, type TRetryPolicy } from "@/lib/forwarding/retry-policy";

const MIN = 60_000;

describe("computeBackoffMs", () => {
  it("doubles from 10 s and stays within ±20 % of the nominal delay", () => {
    for (let attempts = 1; attempts <= 7; attempts++) {
      const nominal = 10_000 * 2 ** (attempts - 1);
      expect(computeBackoffMs(attempts, DEFAULT_RETRY_POLICY, () => 0.5)).toBe(nominal);
      expect(computeBackoffMs(attempts, DEFAULT_RETRY_POLICY, () => 0)).toBe(Math.round(nominal * 0.8));
      expect(computeBackoffMs(attempts, DEFAULT_RETRY_POLICY, () => 0.999999)).toBeLessThanOrEqual(Math.round(nominal * 1.2));
      expect(computeBackoffMs(attempts, DEFAULT_RETRY_POLICY, () => 0.999999)).toBeGreaterThan(nominal * 1.19);
    }
  });

  it("never exceeds 15 min, however many attempts, and keeps jitter below the cap", () => {
    for (const attempts of [8, 9, 10, 50, 1000, Number.MAX_SAFE_INTEGER]) {
      for (const r of [0, 0.25, 0.5, 0.75, 0.999999]) {
        const d = computeBackoffMs(attempts, DEFAULT_RETRY_POLICY, () => r);
        expect(d).toBeLessThanOrEqual(15 * MIN);
        expect(d).toBeGreaterThanOrEqual(0.8 * 15 * MIN);
      }
    }
  });

  it("keeps random samples inside the bounds", () => {
    for (let i = 0; i < 2000; i++) {
      const attempts = 1 + (i % 12);
      const nominal = Math.min(15 * MIN, 10_000 * 2 ** (attempts - 1));
      const d = computeBackoffMs(attempts);
      expect(d).toBeGreaterThanOrEqual(Math.floor(nominal * 0.8));
      expect(d).toBeLessThanOrEqual(Math.min(15 * MIN, Math.ceil(nominal * 1.2)));
    }
  });

  it("takes a configurable base (tests use ~100 ms)", () => {
    const fast: TRetryPolicy = { ...DEFAULT_RETRY_POLICY, baseMs: 100 };
    expect([1, 2, 3, 4].map((n) => computeBackoffMs(n, fast, () => 0.5))).toEqual([100, 200, 400, 800]);
  });
});

describe("decideRetry", () => {
  const createdAt = new Date("2026-01-01T00:00:00Z");
  const at = (ms: number): Date => new Date(createdAt.getTime() + ms);

  it("retries after the backoff while the 24 h horizon is ahead", () => {
    const d = decideRetry({ createdAt, attempts: 1 }, at(1000), DEFAULT_RETRY_POLICY, () => 0.5);
    expect(d).toEqual({ kind: "retry", nextAttemptAt: at(11_000) });
  });

  it("schedules the last try at the horizon, then gives up", () => {
    const horizon = 24 * 60 * MIN;
    const near = decideRetry({ createdAt, attempts: 100 }, at(horizon - 1000), DEFAULT_RETRY_POLICY, () => 0.5);
    expect(near).toEqual({ kind: "retry", nextAttemptAt: at(horizon) });
    expect(decideRetry({ createdAt, attempts: 101 }, at(horizon), DEFAULT_RETRY_POLICY)).toEqual({ kind: "give-up" });
  });

  it("honours a configured horizon", () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseMs: 100, horizonMs: 500 };
    expect(decideRetry({ createdAt, attempts: 1 }, at(100), policy).kind).toBe("retry");
    expect(decideRetry({ createdAt, attempts: 5 }, at(600), policy).kind).toBe("give-up");
  });

  it("waits at least a Retry-After, but never past the horizon", () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseMs: 100, horizonMs: 60_000 };
    expect(decideRetry({ createdAt, attempts: 1 }, at(0), policy, () => 0.5, 5_000)).toEqual({ kind: "retry", nextAttemptAt: at(5_000) });
    // A Retry-After shorter than the backoff does not shorten it.
    expect(decideRetry({ createdAt, attempts: 3 }, at(0), policy, () => 0.5, 10)).toEqual({ kind: "retry", nextAttemptAt: at(400) });
    expect(decideRetry({ createdAt, attempts: 1 }, at(50_000), policy, () => 0.5, 3_600_000)).toEqual({ kind: "retry", nextAttemptAt: at(60_000) });
  });
});
