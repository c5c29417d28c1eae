/**
 * One TCP connection carrying PDUs (PS3.8 §9): framing, back-pressure, timeouts and the end of the connection.
 *
 * Design:
 * - `setNoDelay(true)` and one `socket.write` per PDU (header and PDV together; several PDUs corked into one
 *   writev). Without that, Nagle's algorithm holds the small last segment of a C-STORE until the peer's delayed ACK
 *   (~40 ms per operation).
 * - Received bytes go through PduReader, which refuses a declared length above our cap before buffering it.
 * - The first failure (socket error or close, peer A-ABORT, malformed PDU, a timeout) is kept as `failure`; every
 *   pending and later receive/send rejects with it, so an operation never hangs on a dead association.
 */
import net from "node:net";
import { DimseError } from "./dimse-status";
import { encodeAbort, encodeReleaseRp, PduFormatError, PduReader, type TPdu } from "./pdu";

type TWaiter = { resolve: (pdu: TPdu) => void; reject: (err: DimseError) => void; timer: NodeJS.Timeout };

export class Link {
  private readonly reader: PduReader;
  private readonly queue: TPdu[] = [];
  private waiter: TWaiter | undefined;
  private drainWaiters: (() => void)[] = [];
  /** Set once; the connection is unusable afterwards. */
  failure: DimseError | undefined;
  /** We are closing on purpose (release done, abort sent): a later close is not a failure. */
  private closing = false;

  private constructor(private readonly socket: net.Socket, maxPduBytes: number) {
    this.reader = new PduReader(maxPduBytes);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => this.wakeDrain());
    socket.on("error", (err: NodeJS.ErrnoException) =>
      this.fail(new DimseError("connection-closed", "transient", `connection to the archive failed: ${err.code ?? err.message}`)));
    socket.on("close", () => this.fail(new DimseError("connection-closed", "transient", "the archive closed the connection")));
  }

  /**
   * Opens a TCP connection.
   * @throws DimseError `connect-failed` (refused, unreachable) or `connect-timeout`, both transient
   */
  static connect(host: string, port: number, timeoutMs: number, maxPduBytes: number): Promise<Link> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DimseError("connect-timeout", "transient", `no TCP connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new DimseError("connect-failed", "transient", `cannot connect to ${host}:${port}: ${err.code ?? err.message}`));
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new Link(socket, maxPduBytes));
      });
    });
  }

  private onData(chunk: Buffer): void {
    if (this.failure) {
      return;
    }
    let pdus: TPdu[];
    try {
      pdus = this.reader.push(chunk);
    } catch (err) {
      const format = err instanceof PduFormatError ? err : new PduFormatError(String(err), 0);
      const code = /above the/.test(format.message) ? "pdu-too-large" : "protocol-error";
      this.abort(2, format.abortReason, new DimseError(code, "transient", `malformed data from the archive: ${format.message}`));

      return;
    }
    for (const pdu of pdus) {
      if (pdu.type === "abort") {
        this.closing = true;
        this.fail(new DimseError("aborted", "transient", `the archive aborted the association (A-ABORT source ${pdu.source}, reason ${pdu.reason})`, { source: pdu.source, reason: pdu.reason }));

        return;
      }
      if (pdu.type === "release-rq" && !this.waiter) {
        // The archive releases an idle association (PS3.8 §7.2): confirm and close; the next call reconnects.
        this.closing = true;
        this.socket.end(encodeReleaseRp());
        setTimeout(() => this.socket.destroy(), 1000).unref();
        this.fail(new DimseError("association-closed", "transient", "the archive released the association"), false);

        return;
      }
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        clearTimeout(w.timer);
        w.resolve(pdu);
      } else {
        this.queue.push(pdu);
      }
    }
  }

  private wakeDrain(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) {
      w();
    }
  }

  /** Records the first failure, rejects the pending receive, and destroys the socket. */
  fail(err: DimseError, destroyNow = true): void {
    if (this.failure) {
      return;
    }
    this.failure = this.closing && err.code === "connection-closed"
      ? new DimseError("association-closed", "transient", "the association is closed")
      : err;
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      clearTimeout(w.timer);
      w.reject(this.failure);
    }
    this.wakeDrain();
    if (destroyNow) {
      this.socket.destroy();
    }
  }

  /**
   * Sends A-ABORT (PS3.8 §9.3.8) and closes: `source` 0 = we, the service user; 2 = we, as service provider,
   * refusing a malformed PDU.
   */
  abort(source: number, reason: number, err: DimseError): void {
    if (!this.failure && !this.socket.destroyed) {
      this.closing = true;
      // end() flushes the A-ABORT and half-closes; the socket is destroyed after a grace period at the latest.
      this.socket.end(encodeAbort(source, reason));
      setTimeout(() => this.socket.destroy(), 1000).unref();
      this.fail(err, false);

      return;
    }
    this.fail(err);
  }

  /** Closes after an orderly release. */
  close(): void {
    this.closing = true;
    this.fail(new DimseError("association-closed", "transient", "the association is closed"));
  }

  /**
   * Writes PDUs, each complete with its header; several are corked into one writev. Resolves once the socket can
   * take more; a peer that reads nothing for `stallMs` is a timeout.
   * @throws DimseError the link's failure, or `dimse-timeout`
   */
  async send(pdus: Buffer[], stallMs: number): Promise<void> {
    if (this.failure) {
      throw this.failure;
    }
    this.socket.cork();
    let more = true;
    for (const pdu of pdus) {
      more = this.socket.write(pdu);
    }
    this.socket.uncork();
    if (more) {
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.abort(0, 0, new DimseError("dimse-timeout", "transient", `the archive read nothing for ${stallMs} ms while we were sending`));
      }, stallMs);
      this.drainWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (this.failure) {
      throw this.failure;
    }
  }

  /**
   * The next PDU from the peer (A-ABORT excepted: it becomes the failure).
   * @param timeoutMs - how long to wait; then A-ABORT and `onTimeout()` becomes the failure
   */
  receive(timeoutMs: number, onTimeout: () => DimseError): Promise<TPdu> {
    if (this.failure) {
      return Promise.reject(this.failure);
    }
    const queued = this.queue.shift();
    if (queued) {
      return Promise.resolve(queued);
    }

    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.abort(0, 0, onTimeout()), timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }
}
