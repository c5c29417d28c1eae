/**
 * Test MLLP client for what mllp_send cannot do: pipelining, raw bytes, split writes, watching the socket close.
 * ACKs are matched to messages by MSA-2 = MSH-10 (never "the next frame"; reliability-matrix §1 anchor 4).
 */
import net from "node:net";
import { frame, MllpFramer } from "@/lib/hl7/mllp-framer";

export type TMllpClient = {
  /** Frame and send one message; resolves with the ACK text whose MSA-2 equals its MSH-10. */
  send: (message: string | Buffer, timeoutMs?: number) => Promise<string>;
  /** Wait for the next unclaimed ACK with this MSA-2 ("" for a message without readable MSH). */
  ackFor: (controlId: string, timeoutMs?: number) => Promise<string>;
  /** Write raw bytes (no framing added). */
  write: (bytes: Buffer) => void;
  /** Every ACK received so far, in arrival order. */
  acks: string[];
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
  close: () => Promise<void>;
};

/** The field of a segment, e.g. fieldOf(text, "MSA", 2); MSH positions counted as in the standard. */
export const fieldOf = (text: string, segment: string, position: number): string => {
  const sep = text.charAt(3) || "|";
  const line = text.split(/\r\n|\r|\n/).find((l) => l.startsWith(segment + sep)) ?? "";
  const parts = line.split(sep);

  return (segment === "MSH" ? parts[position - 1] : parts[position]) ?? "";
};

/**
 * Connect to an MLLP server.
 * @param port - server port
 * @param options - host (127.0.0.1), encoding used to read ACKs (utf8)
 */
export const connectMllp = async (
  port: number,
  options: { host?: string; encoding?: BufferEncoding } = {},
): Promise<TMllpClient> => {
  const socket = net.connect({ port, host: options.host ?? "127.0.0.1", noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  const framer = new MllpFramer();
  const acks: string[] = [];
  /** ACKs no waiter has taken yet (a resent control id gets the next one, not the first). */
  const unclaimed: string[] = [];
  const waiters = new Map<string, (ack: string) => void>();
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));

  socket.on("data", (chunk: Buffer) => {
    for (const payload of framer.push(chunk)) {
      const ack = payload.toString(options.encoding ?? "utf8");
      acks.push(ack);
      const key = fieldOf(ack, "MSA", 2);
      const waiter = waiters.get(key);
      waiters.delete(key);
      if (waiter) {
        waiter(ack);
      } else {
        unclaimed.push(ack);
      }
    }
  });

  const ackFor = (controlId: string, timeoutMs = 10_000): Promise<string> => {
    const seen = unclaimed.findIndex((a) => fieldOf(a, "MSA", 2) === controlId);
    if (seen >= 0) {
      return Promise.resolve(unclaimed.splice(seen, 1)[0]!);
    }

    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ACK for MSH-10 ${controlId} within ${timeoutMs} ms`)), timeoutMs);
      waiters.set(controlId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      closed.then(() => {
        clearTimeout(timer);
        reject(new Error(`connection closed before the ACK for ${controlId}`));
      });
    });
  };

  return {
    send: (message, timeoutMs) => {
      const bytes = typeof message === "string" ? Buffer.from(message) : message;
      const controlId = fieldOf(bytes.toString("latin1"), "MSH", 10);
      const pending = ackFor(controlId, timeoutMs);
      socket.write(frame(bytes));

      return pending;
    },
    ackFor,
    write: (bytes) => socket.write(bytes),
    acks,
    closed,
    close: async () => {
      socket.end();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
      socket.destroy();
    },
  };
};
