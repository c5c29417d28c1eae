/**
 * A raw MLLP test connection for fault tests: write arbitrary bytes (split, coalesced, garbage, slow), read the
 * answers frame by frame in arrival order, and see when (and whether) the server closes the connection.
 */
import net from "node:net";
import { MllpFramer } from "@/lib/hl7/mllp-framer";

export type TWire = {
  socket: net.Socket;
  /** Write bytes as they are (no framing added); resolves when they were handed to the kernel. */
  write: (bytes: Buffer) => Promise<void>;
  /** The next answer frame not yet taken (decoded as latin1, byte-transparent); undefined on timeout/close. */
  next: (timeoutMs?: number) => Promise<string | undefined>;
  /** Every answer frame received so far, in order. */
  frames: string[];
  /** Resolves when the connection is closed (by either side). */
  closed: Promise<void>;
  isClosed: () => boolean;
  destroy: () => void;
};

/**
 * Connect to 127.0.0.1:port.
 * @param port - MLLP port
 * @param timeoutMs - connect timeout
 */
export const openWire = async (port: number, timeoutMs = 5_000): Promise<TWire> => {
  const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("connect timeout")), timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  socket.on("error", () => {});
  const framer = new MllpFramer({ maxFrameBytes: 4 * 1024 * 1024 });
  const frames: string[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  let closedFlag = false;
  const closed = new Promise<void>((resolve) =>
    socket.once("close", () => {
      closedFlag = true;
      wake?.();
      resolve();
    }),
  );
  socket.on("data", (chunk: Buffer) => {
    for (const payload of framer.push(chunk)) {
      frames.push(payload.toString("latin1"));
    }
    wake?.();
  });

  const next = async (timeoutMs = 10_000): Promise<string | undefined> => {
    const until = Date.now() + timeoutMs;
    while (taken >= frames.length) {
      if (closedFlag || Date.now() >= until) {
        return undefined;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, until - Date.now()));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    taken += 1;

    return frames[taken - 1];
  };

  return {
    socket,
    write: (bytes) =>
      new Promise<void>((resolve) => {
        if (socket.destroyed || !socket.writable) {
          resolve();

          return;
        }
        socket.write(bytes, () => resolve());
      }),
    next,
    frames,
    closed,
    isClosed: () => closedFlag,
    destroy: () => socket.destroy(),
  };
};
