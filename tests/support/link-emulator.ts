/**
 * A WAN in a test: a TCP relay on 127.0.0.1 in front of a real server that adds round-trip delay, caps the rate
 * and limits each connection to a TCP-like window (the kernel here has no `netem`).
 *
 * Model, per direction of every relayed connection:
 * - a chunk read from the sender is queued on the link; the link (shared by all connections, one per direction)
 *   transmits at `rateBitsPerSecond`, FIFO, so the chunk leaves at `max(now, linkFreeAt) + bytes·8/rate` and
 *   arrives RTT/2 later;
 * - it is then written to the receiver; its "ACK" comes back RTT/2 after that write was flushed;
 * - bytes read but not yet ACKed are "in flight"; at `windowBytes` the sender is paused (backpressure through the
 *   socket, like a full TCP window), so one connection moves at most window/RTT.
 * Timers are batched: each queue (per connection and direction) keeps one timer for its head item and handles
 * every due item when it fires, so 1 Gbit/s costs a few hundred timer callbacks a second, not one per chunk.
 */
import net from "node:net";

export type TLinkOptions = {
  /** Where the real server listens. */
  targetHost?: string;
  targetPort: number;
  /** Round-trip time added, ms (0). */
  rttMs?: number;
  /** Link rate, bits per second, shared by all connections in each direction (0 = unlimited). */
  rateBitsPerSecond?: number;
  /** Bytes in flight per connection and direction (4 MiB). */
  windowBytes?: number;
};

export type TLinkEmulator = {
  host: string;
  port: number;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Connections accepted so far. */
  connections: () => number;
  /** Bytes relayed client → server and server → client. */
  bytes: () => { up: number; down: number };
  close: () => Promise<void>;
};

type TClock = { freeAt: number };
type TItem = { at: number; chunk: Buffer };

/** A FIFO of timed items with a single timer for its head. */
class TimedQueue {
  private readonly items: TItem[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(private readonly onDue: (item: TItem) => void) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: TItem): void {
    this.items.push(item);
    if (this.length === 1) {
      this.arm();
    }
  }

  clear(): void {
    clearTimeout(this.timer);
    if (this.immediate) {
      clearImmediate(this.immediate);
    }
    this.items.length = 0;
    this.head = 0;
  }

  private arm(): void {
    const first = this.items[this.head];
    if (!first || this.timer || this.immediate) {
      return;
    }
    const wait = first.at - performance.now();
    // setTimeout has ~1 ms granularity: items due within half a millisecond go now.
    if (wait <= 0.5) {
      this.immediate = setImmediate(() => this.run());
    } else {
      this.timer = setTimeout(() => this.run(), Math.max(1, Math.floor(wait)));
    }
  }

  private run(): void {
    this.timer = undefined;
    this.immediate = undefined;
    const now = performance.now() + 0.5;
    while (this.head < this.items.length && (this.items[this.head] as TItem).at <= now) {
      const item = this.items[this.head] as TItem;
      this.items[this.head] = undefined as unknown as TItem;
      this.head += 1;
      this.onDue(item);
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    this.arm();
  }
}

/** One direction of one connection: from `source` to `sink` through the shared `clock`. */
const relay = (
  source: net.Socket,
  sink: net.Socket,
  clock: TClock,
  { rttMs, rate, windowBytes }: { rttMs: number; rate: number; windowBytes: number },
  count: (n: number) => void,
): { close: () => void } => {
  const half = rttMs / 2;
  let inFlight = 0;
  let ended = false;
  let paused = false;
  const acks = new TimedQueue((item) => {
    inFlight -= item.chunk.length;
    if (paused && inFlight < windowBytes) {
      paused = false;
      source.resume();
    }
  });
  const deliveries = new TimedQueue((item) => {
    if (item.chunk.length === 0) {
      sink.end();

      return;
    }
    count(item.chunk.length);
    const chunk = item.chunk;
    sink.write(chunk, () => acks.push({ at: performance.now() + half, chunk }));
  });
  source.on("data", (chunk: Buffer) => {
    const now = performance.now();
    let leaves = now;
    if (rate > 0) {
      const start = Math.max(now, clock.freeAt);
      clock.freeAt = start + (chunk.length * 8 * 1000) / rate;
      leaves = clock.freeAt;
    }
    inFlight += chunk.length;
    deliveries.push({ at: leaves + half, chunk });
    if (inFlight >= windowBytes && !paused) {
      paused = true;
      source.pause();
    }
  });
  source.on("end", () => {
    if (!ended) {
      ended = true;
      // The FIN travels like data: after everything queued before it.
      deliveries.push({ at: Math.max(performance.now(), rate > 0 ? clock.freeAt : 0) + half, chunk: Buffer.alloc(0) });
    }
  });

  return {
    close: () => {
      deliveries.clear();
      acks.clear();
    },
  };
};

/**
 * Start a relay on 127.0.0.1 (a free port) in front of `targetPort`.
 * @param options - target, RTT, rate, window
 */
export const startLinkEmulator = async (options: TLinkOptions): Promise<TLinkEmulator> => {
  const { targetHost = "127.0.0.1", targetPort, rttMs = 0, rateBitsPerSecond = 0, windowBytes = 4 * 1024 * 1024 } = options;
  const up: TClock = { freeAt: 0 };
  const down: TClock = { freeAt: 0 };
  const sockets = new Set<net.Socket>();
  const totals = { up: 0, down: 0 };
  let accepted = 0;
  const settings = { rttMs, rate: rateBitsPerSecond, windowBytes };
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    accepted += 1;
    const upstream = net.connect({ host: targetHost, port: targetPort, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
    }
    const a = relay(client, upstream, up, settings, (n) => (totals.up += n));
    const b = relay(upstream, client, down, settings, (n) => (totals.down += n));
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        a.close();
        b.close();
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      }
    };
    // Both halves closed, or an error on either side: tear the pair down (a reset propagates as a close).
    let halfClosed = 0;
    const onFinish = (): void => {
      halfClosed += 1;
      if (halfClosed === 2) {
        finish();
      }
    };
    client.on("finish", onFinish);
    upstream.on("finish", onFinish);
    client.on("error", finish);
    upstream.on("error", finish);
    // A clean close of one socket may come while the other direction still has data on the way: only errors and
    // both directions finished end the pair.
    upstream.once("connect", () => client.resume());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    host: "127.0.0.1",
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    bytes: () => ({ ...totals }),
    close: async () => {
      for (const s of sockets) {
        s.destroy();
      }
      await new Promise((r) => server.close(r));
    },
  };
};

/**
 * The same emulator in a child process of its own (link-emulator-child.ts): for benchmarks, where a relay sharing the
 * sender's event loop and core would slow the sender down (a kernel link costs the endpoints no CPU).
 * `bytes()` and `connections()` report the last figures the child sent (refreshed on every call, asynchronously).
 * @param options - target, RTT, rate, window
 */
export const startLinkEmulatorProcess = async (options: TLinkOptions): Promise<TLinkEmulator> => {
  const { fork } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const entry = fileURLToPath(new URL("./link-emulator-child.ts", import.meta.url));
  const child = fork(entry, [JSON.stringify(options)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let last = { bytes: { up: 0, down: 0 }, connections: 0 };
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`link emulator process exited (${code}) before listening`)));
    child.on("message", (message: { port?: number; bytes?: { up: number; down: number }; connections?: number }) => {
      if (message.port !== undefined) {
        resolve(message.port);
      } else if (message.bytes) {
        last = { bytes: message.bytes, connections: message.connections ?? 0 };
      }
    });
  });
  child.removeAllListeners("exit");
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const refresh = (): void => {
    if (child.connected) {
      child.send({ bytes: true });
    }
  };

  return {
    host: "127.0.0.1",
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => {
      refresh();
      return last.connections;
    },
    bytes: () => {
      refresh();
      return last.bytes;
    },
    close: async () => {
      if (child.connected) {
        child.disconnect();
      }
      const force = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(force);
    },
  };
};
