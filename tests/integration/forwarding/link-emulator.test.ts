// @test-once-per-run: uses no database (the link emulator of the test support); scripts/test.mjs runs it in the first database pass only.
/**
 * The link emulator (tests/support/link-emulator.ts) does what the benchmark relies on: the added round trip is
 * measured within tolerance, the rate cap holds across connections, and one connection is limited to about
 * window/RTT.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLinkEmulator } from "../../support/link-emulator";

/** A server that echoes one byte per "ping" byte and swallows everything else, answering "done" at end of input. */
const startServer = async (): Promise<{ port: number; close: () => Promise<void> }> => {
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.setNoDelay(true);
    let total = 0;
    s.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (chunk.length === 1) {
        s.write(chunk);
      }
    });
    s.on("end", () => s.end(`done ${total}`));
    s.on("error", () => s.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));

  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
};

const connect = (port: number): Promise<net.Socket> =>
  new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true }, () => resolve(s));
    s.setNoDelay(true);
    s.once("error", reject);
  });

/** Round trip of one byte, ms. */
const ping = (s: net.Socket): Promise<number> =>
  new Promise((resolve) => {
    const t0 = performance.now();
    s.once("data", () => resolve(performance.now() - t0));
    s.write(Buffer.from([1]));
  });

/** Send `bytes` and wait for the server's "done" (everything arrived); returns seconds. */
const upload = async (port: number, bytes: number): Promise<number> => {
  const s = await connect(port);
  const t0 = performance.now();
  const chunk = Buffer.alloc(256 * 1024, 7);
  const answer = new Promise<string>((resolve) => {
    let text = "";
    s.on("data", (d: Buffer) => (text += d.toString()));
    s.on("end", () => resolve(text));
  });
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!s.write(chunk)) {
      await new Promise((r) => s.once("drain", r));
    }
  }
  s.end();
  expect(await answer).toBe(`done ${Math.ceil(bytes / chunk.length) * chunk.length}`);
  s.destroy();

  return (performance.now() - t0) / 1000;
};

describe("link emulator", () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("adds the round-trip time", async () => {
    const link = await startLinkEmulator({ targetPort: server.port, rttMs: 40 });
    const s = await connect(link.port);
    await ping(s);
    const samples = [];
    for (let i = 0; i < 5; i++) {
      samples.push(await ping(s));
    }
    s.destroy();
    await link.close();
    const median = samples.sort((a, b) => a - b)[2] as number;
    expect(median).toBeGreaterThanOrEqual(39);
    expect(median).toBeLessThan(55);
  });

  it("caps the rate across connections", async () => {
    // 80 Mbit/s = 10 MB/s; three connections of 4 MB each share it: ≈ 1.2 s, not 0.4 s.
    const link = await startLinkEmulator({ targetPort: server.port, rttMs: 2, rateBitsPerSecond: 80e6 });
    const t0 = performance.now();
    await Promise.all([0, 1, 2].map(() => upload(link.port, 4 * 1024 * 1024)));
    const seconds = (performance.now() - t0) / 1000;
    await link.close();
    const rate = (3 * 4 * 1024 * 1024 * 8) / seconds;
    expect(rate).toBeLessThan(80e6 * 1.05);
    expect(rate).toBeGreaterThan(80e6 * 0.7);
  });

  it("limits one connection to about window/RTT", async () => {
    // 1 MiB window, 50 ms RTT: ≤ 20 MiB/s for one connection, although the link allows 1 Gbit/s.
    const link = await startLinkEmulator({ targetPort: server.port, rttMs: 50, rateBitsPerSecond: 1e9, windowBytes: 1024 * 1024 });
    const bytes = 16 * 1024 * 1024;
    const seconds = await upload(link.port, bytes);
    const perSecond = bytes / seconds;
    // Two connections in parallel move about twice as much.
    const t0 = performance.now();
    await Promise.all([upload(link.port, bytes), upload(link.port, bytes)]);
    const both = (2 * bytes) / ((performance.now() - t0) / 1000);
    await link.close();
    const limit = (1024 * 1024) / 0.05;
    expect(perSecond).toBeLessThan(limit * 1.1);
    expect(perSecond).toBeGreaterThan(limit * 0.6);
    expect(both).toBeGreaterThan(perSecond * 1.6);
  });
});
