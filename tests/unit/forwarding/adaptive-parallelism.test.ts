import { describe, expect, it } from "vitest";
import { createParallelismController, type TParallelismController } from "@/lib/forwarding/adaptive-parallelism";

/**
 * Drive a controller on a fake clock against a model link: each request in flight moves `perRequest` bytes/s,
 * all together at most `capacity` bytes/s. Returns the limits seen at the end of each epoch.
 */
const simulate = (c: TParallelismController, { perRequest, capacity, seconds, busy = true }: { perRequest: number; capacity: number; seconds: number; busy?: boolean }): number[] => {
  const limits: number[] = [];
  let now = 0;
  const stepMs = 10;
  for (let t = 0; t < seconds * 1000; t += stepMs) {
    const inFlight = busy ? c.limit() : Math.max(0, c.limit() - 1);
    c.onInFlight(inFlight, now);
    now += stepMs;
    c.onBytes((Math.min(capacity, perRequest * inFlight) * stepMs) / 1000, now);
    const step = c.tick(now);
    if (step) {
      limits.push(step.limit);
    }
  }

  return limits;
};

describe("adaptive parallelism", () => {
  it("grows while throughput rises and settles near capacity / per-request rate", () => {
    // A long fat pipe: one request gets 10 MB/s, the link carries 60 MB/s.
    const c = createParallelismController({ max: 16 });
    const limits = simulate(c, { perRequest: 10e6, capacity: 60e6, seconds: 20 });
    expect(Math.max(...limits)).toBeGreaterThanOrEqual(6);
    expect(c.limit()).toBeGreaterThanOrEqual(6);
    expect(c.limit()).toBeLessThanOrEqual(8);
  });

  it("stays low on a LAN where one request already fills the link", () => {
    const c = createParallelismController({ max: 8 });
    simulate(c, { perRequest: 100e6, capacity: 100e6, seconds: 10 });
    expect(c.limit()).toBeLessThanOrEqual(2);
  });

  it("never leaves [1, max]", () => {
    const c = createParallelismController({ max: 3 });
    const limits = simulate(c, { perRequest: 1e6, capacity: 1e9, seconds: 10 });
    expect(Math.max(...limits)).toBe(3);
    for (let i = 0; i < 5; i++) {
      c.onFailure(0);
    }
    expect(c.limit()).toBe(1);
    expect(createParallelismController({ max: 0 }).limit()).toBe(1);
  });

  it("halves on a failure and holds before probing again", () => {
    const c = createParallelismController({ max: 16, initial: 8, holdEpochs: 3 });
    c.onFailure(0);
    expect(c.limit()).toBe(4);
    const limits = simulate(c, { perRequest: 10e6, capacity: 1e9, seconds: 2 });
    // Held at 4 for three saturated epochs, then probes 5.
    expect(limits.slice(0, 2)).toEqual([4, 4]);
    expect(limits[2]).toBe(5);
  });

  it("does not judge epochs in which the slots were not all busy", () => {
    const c = createParallelismController({ max: 16 });
    const limits = simulate(c, { perRequest: 10e6, capacity: 1e9, seconds: 3, busy: false });
    expect(new Set(limits)).toEqual(new Set([2]));
  });

  it("stretches epochs to three round trips on a slow link", () => {
    const c = createParallelismController({ max: 16 });
    c.onRoundTrip(200);
    c.onInFlight(2, 0);
    c.onBytes(1000, 300);
    expect(c.tick(300)).toBeUndefined();
    expect(c.tick(600)?.limit).toBe(4);
  });
});
