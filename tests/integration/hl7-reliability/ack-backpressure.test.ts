// @test-once-per-run: uses no database (the MLLP server with a scripted handler); scripts/test.mjs runs it in the first database pass only.
/**
 * A sender that pipelines messages but does not read its ACKs (mllp-server back-pressure, reliability-matrix §1.7
 * "bounded per-socket buffer"): the server must not keep handling messages and piling up unread ACKs in memory.
 * It handles the next message only once the previous ACK reached the kernel, and closes the connection when the
 * peer makes no progress for idleTimeoutMs. In-process server with a fake handler (large ACKs fill the socket
 * buffers quickly); no database needed.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { frame, MllpFramer } from "@/lib/hl7/mllp-framer";
import { createMllpServer, type TMllpServer } from "@/lib/hl7/mllp-server";
import { hl7Field } from "../../support/hl7-driver";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FRAMES = 1_000;
/** 64 KiB of ACK per message: 1,000 unread ACKs would be 64 MiB of process memory. */
const PADDING = "X".repeat(64 * 1024);
const message = (i: number): Buffer => Buffer.from(`MSH|^~\\&|A|F|R|G|20240101||ADT^A08|M${i}|P|2.5.1\rPID|1||1\r`);
const ack = (payload: Buffer): Buffer =>
  Buffer.from(`MSH|^~\\&|R|G|A|F|20240101||ACK|X|P|2.5.1\rMSA|AA|${hl7Field(payload.toString(), "MSH", 10)}|${PADDING}\r`);

describe("ACK back-pressure: a sender that does not read its ACKs", () => {
  let server: TMllpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const start = async (idleTimeoutMs: number): Promise<{ port: number; handled: () => number }> => {
    let handled = 0;
    server = createMllpServer({
      handle: async (payload) => {
        handled += 1;

        return ack(payload);
      },
      idleTimeoutMs,
    });

    return { port: await server.listen(0, "127.0.0.1"), handled: () => handled };
  };

  const connectPaused = async (port: number): Promise<net.Socket> => {
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
    socket.pause();
    socket.on("error", () => {});
    await new Promise((r) => socket.once("connect", r));

    return socket;
  };

  it("handles no more than the socket buffers can hold until the sender reads; then every ACK arrives in order", async () => {
    const { port, handled } = await start(10_000);
    const socket = await connectPaused(port);
    socket.write(Buffer.concat(Array.from({ length: FRAMES }, (_, i) => frame(message(i)))));
    await sleep(1_000);
    const stalled = handled();
    expect(stalled).toBeGreaterThan(0);
    expect(stalled).toBeLessThan(FRAMES / 2);

    const framer = new MllpFramer({ maxFrameBytes: 1024 * 1024 });
    const ids: string[] = [];
    const all = new Promise<void>((resolve) =>
      socket.on("data", (chunk: Buffer) => {
        for (const payload of framer.push(chunk)) {
          ids.push(hl7Field(payload.toString(), "MSA", 2));
        }
        if (ids.length === FRAMES) {
          resolve();
        }
      }),
    );
    socket.resume();
    await Promise.race([all, sleep(20_000)]);
    expect(ids).toEqual(Array.from({ length: FRAMES }, (_, i) => `M${i}`));
    console.info(`[backpressure] handled ${stalled} of ${FRAMES} messages while the sender did not read`);
    socket.destroy();
  });

  it("closes the connection when the sender makes no progress for idleTimeoutMs", async () => {
    const { port, handled } = await start(500);
    const socket = await connectPaused(port);
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.write(Buffer.concat(Array.from({ length: FRAMES }, (_, i) => frame(message(i)))));
    const t0 = Date.now();
    // The client does not read, so it only sees the reset once it reads again: read after a while.
    await sleep(2_000);
    socket.resume();
    await Promise.race([closed, sleep(10_000)]);
    expect(socket.destroyed).toBe(true);
    expect(handled()).toBeLessThan(FRAMES / 2);
    expect(server!.connectionCount()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
