/**
 * How many requests (STOW-RS) or associations (C-STORE) one destination gets at a time, chosen from measured
 * throughput, within [1, Destination.maxParallel].
 *
 * Why: over a WAN one connection moves at most window/RTT (4 MiB / 50 ms ≈ 670 Mbit/s, 4 MiB / 150 ms ≈ 220
 * Mbit/s), and each request pays at least one round trip for its answer; several in flight fill the pipe. On a LAN
 * more parallelism buys nothing and costs the archive CPU. Neither the RTT nor the link rate is known in advance,
 * so the controller climbs a hill:
 *
 * 1. Time runs in epochs of max(250 ms, 3 × the smallest request round trip seen). Bytes are counted as they are
 *    sent (not when a request completes, so a 200 MB video still yields a reading every epoch).
 * 2. An epoch counts only when the destination was saturated: requests in flight ≥ the limit for ≥ 80 % of it
 *    (with too little work queued, more parallelism cannot show a gain). Otherwise the limit is left as it is.
 * 3. Slow start: the limit doubles after every saturated epoch whose throughput beat the best so far by ≥ 10 %.
 * 4. The first epoch without such a gain ends slow start: the limit steps back to the best one and holds for
 *    `holdEpochs` saturated epochs; then it probes one step up (+1) and keeps it only with a ≥ 10 % gain.
 * 5. An error or timeout (no response, 5xx, 429, out of resources) halves the limit at once and holds; the
 *    archive or the link is struggling and more parallel load would make it worse.
 *
 * Pure: the caller passes the time, so unit tests run on a fake clock.
 */

export type TParallelismOptions = {
  /** Destination.maxParallel (≥ 1). */
  max: number;
  /** Starting limit (2, or max when smaller). */
  initial?: number;
  /** Shortest epoch, ms (250). */
  minEpochMs?: number;
  /** Relative throughput gain that justifies a larger limit (0.1). */
  gain?: number;
  /** Saturated epochs to hold after a step back or a failure (8). */
  holdEpochs?: number;
};

/** What the controller decided at the end of an epoch, for logs and tests. */
export type TParallelismStep = { limit: number; bytesPerSecond: number; saturated: boolean; phase: "slow-start" | "probe" | "hold" };

export type TParallelismController = {
  /** The current limit. */
  limit: () => number;
  /** Bytes sent to the destination. */
  onBytes: (bytes: number, now: number) => void;
  /** Requests in flight changed (call after every start and end of a request). */
  onInFlight: (inFlight: number, now: number) => void;
  /** A request's answer took `ms` after its last byte was sent (an RTT estimate, archive time included). */
  onRoundTrip: (ms: number) => void;
  /** A request failed in a way that suggests overload: halve. */
  onFailure: (now: number) => void;
  /** Close the epoch when it is due; returns the step taken, if any. */
  tick: (now: number) => TParallelismStep | undefined;
  /** Steps taken so far (the last 64). */
  history: () => TParallelismStep[];
};

/**
 * Create a controller for one destination.
 * @param options - upper limit and tuning
 */
export const createParallelismController = (options: TParallelismOptions): TParallelismController => {
  const max = Math.max(1, Math.floor(options.max));
  const { minEpochMs = 250, gain = 0.1, holdEpochs = 8 } = options;
  let limit = Math.min(max, Math.max(1, options.initial ?? 2));
  let phase: TParallelismStep["phase"] = "slow-start";
  let best = 0;
  let bestLimit = limit;
  let hold = 0;
  let minRoundTrip = Number.POSITIVE_INFINITY;
  let epochStart: number | undefined;
  let epochBytes = 0;
  let saturatedMs = 0;
  let inFlight = 0;
  let lastChange = 0;
  const steps: TParallelismStep[] = [];

  const account = (now: number): void => {
    if (epochStart === undefined) {
      epochStart = now;
      lastChange = now;
    }
    if (inFlight >= limit) {
      saturatedMs += now - lastChange;
    }
    lastChange = now;
  };
  const restart = (now: number): void => {
    epochStart = now;
    lastChange = now;
    epochBytes = 0;
    saturatedMs = 0;
  };
  const setLimit = (next: number, now: number): void => {
    limit = Math.min(max, Math.max(1, next));
    restart(now);
  };
  const decide = (rate: number): void => {
    if (phase === "hold") {
      hold -= 1;
      if (hold <= 0) {
        // Re-measure at this limit, then probe one step up.
        best = rate;
        bestLimit = limit;
        phase = "probe";
        limit = Math.min(max, limit + 1);
      }

      return;
    }
    if (rate >= best * (1 + gain)) {
      best = rate;
      bestLimit = limit;
      limit = Math.min(max, phase === "slow-start" ? limit * 2 : limit + 1);

      return;
    }
    // No gain: back to the best limit and stay there a while.
    limit = bestLimit;
    phase = "hold";
    hold = holdEpochs;
  };

  return {
    limit: () => limit,
    onBytes: (bytes, now) => {
      account(now);
      epochBytes += bytes;
    },
    onInFlight: (n, now) => {
      account(now);
      inFlight = n;
    },
    onRoundTrip: (ms) => {
      minRoundTrip = Math.min(minRoundTrip, ms);
    },
    onFailure: (now) => {
      best = 0;
      bestLimit = Math.max(1, Math.floor(limit / 2));
      phase = "hold";
      hold = holdEpochs;
      setLimit(bestLimit, now);
    },
    tick: (now) => {
      account(now);
      const start = epochStart as number;
      const length = Math.max(minEpochMs, Number.isFinite(minRoundTrip) ? 3 * minRoundTrip : 0);
      if (now - start < length) {
        return undefined;
      }
      const elapsed = now - start;
      const rate = (epochBytes * 1000) / elapsed;
      const saturated = saturatedMs >= 0.8 * elapsed && epochBytes > 0;
      if (saturated) {
        decide(rate);
      }
      restart(now);
      const step: TParallelismStep = { limit, bytesPerSecond: Math.round(rate), saturated, phase };
      steps.push(step);
      if (steps.length > 64) {
        steps.shift();
      }

      return step;
    },
    history: () => [...steps],
  };
};
