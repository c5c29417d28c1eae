// @test-once-per-run: uses no database (MLLP framing and limits with a scripted handler); scripts/test.mjs runs it in the first database pass only.
/**
 * The socket layer alone (real TCP on port 0, a fake handler): ordering, limits, closing.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { frame } from "@/lib/hl7/mllp-framer";
import { createMllpServer, type TMllpServer, type TMllpServerOptions } from "@/lib/hl7/mllp-server";
import { connectMllp, fieldOf } from "../../support/mllp-client";

const message = (id: string): string => `MSH|^~\\&|A|F|R|G|20240101||ADT^A08|${id}|P|2.5.1\rPID|1||1\r`;
const ackOf = (payload: Buffer): Buffer =>
  Buffer.from(`MSH|^~\\&|R|G|A|F|20240101||ACK|X|P|2.5.1\rMSA|AA|${fieldOf(payload.toString(), "MSH", 10)}\r`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gate a handler can wait on. */
const gate = () => {
  let open = (): void => {};
  const opened = new Promise<void>((r) => (open = r));

  return { open, opened };
};

describe("createMllpServer", () => {
  let server: TMllpServer | undefined;
  const start = async (options: Partial<TMllpServerOptions> & Pick<TMllpServerOptions, "handle">) => {
    server = createMllpServer(options);

    return server.listen(0, "127.0.0.1");
  };
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("handles one message at a time per connection, in arrival order, ACK after the handler resolves", async () => {
    const log: string[] = [];
    let active = 0;
    const port = await start({
      handle: async (payload) => {
        const id = fieldOf(payload.toString(), "MSH", 10);
        active += 1;
        expect(active).toBe(1);
        log.push(`start ${id}`);
        await sleep(Math.random() * 10);
        log.push(`end ${id}`);
        active -= 1;

        return ackOf(payload);
      },
    });
    const client = await connectMllp(port);
    const ids = Array.from({ length: 10 }, (_, i) => `M${i}`);
    client.write(Buffer.concat(ids.map((id) => frame(Buffer.from(message(id))))));
    await Promise.all(ids.map((id) => client.ackFor(id)));
    expect(log).toEqual(ids.flatMap((id) => [`start ${id}`, `end ${id}`]));
    expect(client.acks.map((a) => fieldOf(a, "MSA", 2))).toEqual(ids);
    await client.close();
  });

  it("does not let a slow message on one connection block another connection", async () => {
    const slow = gate();
    const port = await start({
      handle: async (payload) => {
        if (payload.toString().includes("|SLOW|")) {
          await slow.opened;
        }

        return ackOf(payload);
      },
    });
    const a = await connectMllp(port);
    const b = await connectMllp(port);
    const slowAck = a.send(message("SLOW"));
    expect(fieldOf(await b.send(message("FAST")), "MSA", 2)).toBe("FAST");
    slow.open();
    expect(fieldOf(await slowAck, "MSA", 2)).toBe("SLOW");
    await a.close();
    await b.close();
  });

  it("reassembles a frame written one byte at a time", async () => {
    const port = await start({ handle: async (p) => ackOf(p) });
    const client = await connectMllp(port);
    const pending = client.ackFor("BYTES");
    for (const byte of frame(Buffer.from(message("BYTES")))) {
      client.write(Buffer.from([byte]));
      await sleep(0);
    }
    expect(fieldOf(await pending, "MSA", 2)).toBe("BYTES");
    await client.close();
  });

  it("answers frames sent before an oversize frame, then closes without handling it", async () => {
    const seen: string[] = [];
    const port = await start({
      maxFrameBytes: 1000,
      handle: async (p) => {
        seen.push(fieldOf(p.toString(), "MSH", 10));

        return ackOf(p);
      },
    });
    const client = await connectMllp(port);
    client.write(Buffer.concat([frame(Buffer.from(message("OK1"))), frame(Buffer.alloc(5000, 0x41))]));
    expect(fieldOf(await client.ackFor("OK1"), "MSA", 2)).toBe("OK1");
    await client.closed;
    expect(seen).toEqual(["OK1"]);
  });

  it("ACKs a message from a sender that half-closes right after sending", async () => {
    const port = await start({ handle: async (p) => (await sleep(20), ackOf(p)) });
    const socket = net.connect({ port, host: "127.0.0.1" });
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    await new Promise((r) => socket.once("connect", r));
    socket.end(frame(Buffer.from(message("HALF"))));
    await new Promise((r) => socket.once("close", r));
    expect(Buffer.concat(chunks).toString()).toContain("MSA|AA|HALF");
  });

  it("closes the connection without an ACK when the handler rejects", async () => {
    const port = await start({ handle: async () => Promise.reject(new Error("boom")) });
    const client = await connectMllp(port);
    await expect(client.send(message("FAIL"))).rejects.toThrow(/closed before the ACK/);
    expect(client.acks).toEqual([]);
  });

  it("close() waits for the message in progress, delivers its ACK, then ends connections", async () => {
    const release = gate();
    const started = gate();
    const port = await start({
      handle: async (p) => {
        started.open();
        await release.opened;

        return ackOf(p);
      },
    });
    const client = await connectMllp(port);
    const ack = client.send(message("INFLIGHT"));
    await started.opened;
    let closed = false;
    const closing = server!.close().then(() => (closed = true));
    await sleep(50);
    expect(closed).toBe(false);
    release.open();
    expect(fieldOf(await ack, "MSA", 2)).toBe("INFLIGHT");
    await closing;
    await client.closed;
    await expect(connectMllp(port)).rejects.toThrow();
  });

  it("closes idle connections after idleTimeoutMs", async () => {
    const port = await start({ handle: async (p) => ackOf(p), idleTimeoutMs: 150 });
    const client = await connectMllp(port);
    await client.send(message("ONE"));
    const t0 = Date.now();
    await client.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
  });

  it("refuses connections beyond maxConnections and survives clients vanishing mid-message", async () => {
    const release = gate();
    const port = await start({ handle: async (p) => (await release.opened, ackOf(p)), maxConnections: 1 });
    const first = await connectMllp(port);
    first.write(frame(Buffer.from(message("GONE"))));
    const second = await connectMllp(port);
    await second.closed;
    await first.close();
    release.open();
    await sleep(50);
    expect(server!.connectionCount()).toBe(0);
    const third = await connectMllp(port);
    expect(fieldOf(await third.send(message("AFTER")), "MSA", 2)).toBe("AFTER");
    await third.close();
  });
});
