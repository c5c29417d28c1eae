/**
 * MLLP listener on node:net: socket lifecycle only (medplum layering: framing here, HL7 meaning elsewhere).
 *
 * Design (reliability-matrix §1.1, §1.4):
 * - One message at a time per connection, in arrival order: each connection owns a FIFO queue drained by a single
 *   loop, so the ACK for message n is written before message n+1 is handled. Connections run in parallel.
 * - The ACK goes out only after `handle` resolves (the handler ACKs after its commit), framed, in ONE write, with
 *   TCP_NODELAY (no Nagle/delayed-ACK stall on small ACKs).
 * - If `handle` rejects, no ACK can be claimed: the connection is destroyed so the sender resends.
 * - Back-pressure: a sender that pipelines without waiting for ACKs is paused while its queue is long. A sender that
 *   does not read its ACKs: when an ACK cannot be flushed to the kernel, the next message waits until it is (so
 *   unread ACKs never pile up in memory); after idleTimeoutMs without progress the connection is destroyed.
 * - A frame over maxFrameBytes: stop reading at once (nothing more is buffered), finish what was queued before
 *   it, then end the socket.
 * - Idle: no complete frame for idleTimeoutMs while nothing is queued or in progress → destroy (senders
 *   reconnect). Only complete frames and written ACKs count as activity, not single bytes: a sender trickling a
 *   frame (or garbage) byte by byte is closed too (socket.setTimeout would be reset by every byte). TCP keep-alive
 *   finds half-open peers.
 * - A peer that closes (or half-closes) stops the reading side; frames received before that are still handled
 *   and ACKed (socket created with allowHalfOpen), then the socket is ended.
 * - Frames still queued when the socket is gone are dropped: they were never ACKed, so the sender resends them.
 * - close(): stop accepting, stop reading, drop frames not yet started (never ACKed, so the sender resends), wait for
 *   the message in progress on each connection, then end the sockets (destroyed after 5 s if the peer lingers).
 */
import net from "node:net";
import { createLogger } from "../logger";
import { DEFAULT_MAX_FRAME_BYTES, frame, MllpFramer } from "./mllp-framer";

const log = createLogger("mllp");
/** Pause reading from a connection while this many frames wait to be handled. */
const MAX_QUEUED_FRAMES = 64;

/** Where a message came from (for audit "source"; not PHI). */
export type TMllpContext = { remoteAddress: string; remotePort: number };

export type TMllpServerOptions = {
  /** Process one message (unframed payload) and return the ACK payload (unframed). */
  handle: (message: Buffer, context: TMllpContext) => Promise<Buffer>;
  /** Largest frame payload accepted; larger closes the connection. Default 1 MiB. */
  maxFrameBytes?: number;
  /** Close a connection after this long without a complete frame while idle. Default 15 minutes. */
  idleTimeoutMs?: number;
  /** Further connections are refused (closed at once by node). Default 100. */
  maxConnections?: number;
};

export type TMllpServer = {
  /** Start listening; resolves with the bound port (useful with port 0). */
  listen: (port: number, host?: string) => Promise<number>;
  /** Stop accepting, wait for in-flight messages, close every connection. */
  close: () => Promise<void>;
  /** Open connections right now. */
  connectionCount: () => number;
};

type TConnection = {
  socket: net.Socket;
  queue: Buffer[];
  /** The drain loop, while it runs. */
  draining: Promise<void> | undefined;
  /** No more frames will be read: finish the current message, then end the socket. */
  closing: boolean;
  /** Restart the idle timer (a frame arrived or an ACK was written). */
  touch: () => void;
};

/** Close gracefully (flush the last ACK, send FIN); destroy if the peer has not closed within 5 s. */
const finish = (socket: net.Socket): void => {
  if (!socket.destroyed) {
    socket.end();
    setTimeout(() => socket.destroy(), 5_000).unref();
  }
};

/**
 * Wait until a socket's write buffer has drained (true), or it closed / timeoutMs passed (false when still full).
 * @param socket - the connection
 * @param timeoutMs - longest wait
 */
const writeDrained = (socket: net.Socket, timeoutMs: number): Promise<boolean> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.off("drain", done);
      socket.off("close", done);
      resolve(!socket.destroyed && !socket.writableNeedDrain);
    };
    const timer = setTimeout(done, timeoutMs);
    socket.once("drain", done);
    socket.once("close", done);
  });

/**
 * Create an MLLP server.
 * @param options - handler and limits
 */
export const createMllpServer = (options: TMllpServerOptions): TMllpServer => {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const idleTimeoutMs = options.idleTimeoutMs ?? 15 * 60_000;
  const connections = new Set<TConnection>();
  let stopping = false;

  /** Handle queued frames one by one, writing each ACK before taking the next; ends when the queue is empty. */
  const drain = async (conn: TConnection, context: TMllpContext): Promise<void> => {
    for (let message = conn.queue.shift(); message !== undefined; message = conn.queue.shift()) {
      if (conn.socket.isPaused() && !conn.closing && conn.queue.length < MAX_QUEUED_FRAMES / 2) {
        conn.socket.resume();
      }
      let ack: Buffer;
      try {
        ack = await options.handle(message, context);
      } catch (error) {
        log.error("handler failed; closing connection without ACK", { error: String(error) });
        conn.queue.length = 0;
        conn.socket.destroy();

        return;
      }
      if (conn.socket.destroyed || !conn.socket.writable) {
        log.warn("connection gone before the ACK could be written", { remotePort: context.remotePort });
        conn.queue.length = 0;

        return;
      }
      if (!conn.socket.write(frame(ack)) && !(await writeDrained(conn.socket, idleTimeoutMs))) {
        if (!conn.socket.destroyed) {
          log.warn("peer does not read its ACKs; closing connection", { remotePort: context.remotePort });
          conn.socket.destroy();
        }
        conn.queue.length = 0;

        return;
      }
      conn.touch();
    }
  };

  /** Queue frames and start the drain loop when it is not running. */
  const enqueue = (conn: TConnection, messages: Buffer[], context: TMllpContext): void => {
    conn.queue.push(...messages);
    if (conn.queue.length >= MAX_QUEUED_FRAMES) {
      conn.socket.pause();
    }
    if (conn.draining === undefined) {
      conn.draining = drain(conn, context).finally(() => {
        conn.draining = undefined;
        if (conn.closing) {
          finish(conn.socket);
        }
      });
    }
  };

  /** Stop reading; end the socket now, or after the message in progress when there is one. */
  const stopReading = (conn: TConnection, dropQueued: boolean): void => {
    conn.closing = true;
    conn.socket.pause();
    conn.socket.removeAllListeners("data");
    if (dropQueued) {
      conn.queue.length = 0;
    }
    if (conn.draining === undefined) {
      finish(conn.socket);
    }
  };

  const onConnection = (socket: net.Socket): void => {
    const context: TMllpContext = { remoteAddress: socket.remoteAddress ?? "", remotePort: socket.remotePort ?? 0 };
    let idleTimer: NodeJS.Timeout | undefined;
    const onIdle = (): void => {
      if (conn.draining !== undefined || conn.queue.length > 0) {
        conn.touch();

        return;
      }
      log.info("idle connection closed", { remotePort: context.remotePort });
      socket.destroy();
    };
    const conn: TConnection = {
      socket,
      queue: [],
      draining: undefined,
      closing: false,
      touch: () => {
        clearTimeout(idleTimer);
        if (!socket.destroyed) {
          idleTimer = setTimeout(onIdle, idleTimeoutMs).unref();
        }
      },
    };
    const framer = new MllpFramer({ maxFrameBytes });
    connections.add(conn);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    conn.touch();
    log.info("connection opened", { remotePort: context.remotePort, connections: connections.size });

    socket.on("data", (chunk: Buffer) => {
      const messages = framer.push(chunk);
      if (messages.length > 0) {
        conn.touch();
        enqueue(conn, messages, context);
      }
      if (framer.overflowed) {
        log.warn("frame larger than limit; closing connection", { maxFrameBytes, remotePort: context.remotePort });
        stopReading(conn, false);
      }
    });
    // allowHalfOpen: a sender that half-closes after its last message still gets that message's ACK.
    socket.on("end", () => stopReading(conn, false));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      log.warn("socket error", { code: error.code ?? "", remotePort: context.remotePort });
    });
    socket.on("close", () => {
      clearTimeout(idleTimer);
      connections.delete(conn);
      conn.closing = true;
      conn.queue.length = 0;
      const fields = { remotePort: context.remotePort, discardedBytes: framer.discardedBytes };
      log.info(framer.inFrame ? "connection closed inside a frame" : "connection closed", fields);
    });
  };

  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  server.maxConnections = options.maxConnections ?? 100;
  server.on("drop", () => log.warn("connection refused: maxConnections reached", { max: server.maxConnections }));
  server.on("error", (error) => log.error("server error", { error: String(error) }));

  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve((server.address() as net.AddressInfo).port);
        });
      }),
    close: async () => {
      if (stopping) {
        return;
      }
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const inFlight = [...connections].map((c) => c.draining).filter((d) => d !== undefined);
      for (const conn of connections) {
        stopReading(conn, true);
      }
      await Promise.allSettled(inFlight);
      await closed;
    },
    connectionCount: () => connections.size,
  };
};
