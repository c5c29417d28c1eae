/**
 * The MLLP listener process: `npx tsx lib/workers/mllp-listener.ts`.
 * getEnv → prepareDb → heartbeat "mllp-listener" → MLLP server on MLLP_PORT (MLLP_HOST, default 0.0.0.0).
 * Limits (optional, positive integers; see lib/hl7/README.md "Transport"): MLLP_IDLE_TIMEOUT_MS (15 min),
 * MLLP_MAX_CONNECTIONS (100), MLLP_MAX_FRAME_BYTES (1 MiB).
 * SIGTERM/SIGINT: stop accepting, let the message in progress on each connection commit and be ACKed, stop the
 * heartbeat, disconnect Prisma, exit 0. A second signal exits at once (1).
 */
import { pathToFileURL } from "node:url";
import { getDb, prepareDb, type TDb } from "../db";
import { getEnv } from "../env";
import { handleInbound } from "../hl7/handle-inbound";
import { createMllpServer } from "../hl7/mllp-server";
import { createLogger } from "../logger";
import { purgeMessages } from "../hl7/purge-messages";
import { startHeartbeat } from "./heartbeat";

const log = createLogger("mllp-listener");

export type TMllpListener = {
  /** The bound port (the real one when started on port 0). */
  port: number;
  /** Stop accepting, wait for in-flight messages, stop the heartbeat. Does not disconnect the db. */
  stop: () => Promise<void>;
};

export type TMllpListenerOptions = {
  db: TDb;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Default true; tests of the socket layer alone may skip it. */
  heartbeat?: boolean;
  maxFrameBytes?: number;
  idleTimeoutMs?: number;
  maxConnections?: number;
};

/**
 * Start the listener in this process (the worker entry point and integration tests use it).
 * @param options - database, port (0 for any), host, limits
 */
export const startMllpListener = async (options: TMllpListenerOptions): Promise<TMllpListener> => {
  const { db } = options;
  const stopHeartbeat = options.heartbeat === false ? async () => {} : await startHeartbeat(db, "mllp-listener");
  const server = createMllpServer({
    handle: (message, context) => handleInbound(db, message, { source: `mllp:${context.remoteAddress}` }),
    maxFrameBytes: options.maxFrameBytes,
    idleTimeoutMs: options.idleTimeoutMs,
    maxConnections: options.maxConnections,
  });
  let port: number;
  try {
    port = await server.listen(options.port, options.host ?? "0.0.0.0");
  } catch (error) {
    await stopHeartbeat();
    throw error;
  }
  log.info("listening", { port, host: options.host ?? "0.0.0.0" });

  return {
    port,
    stop: async () => {
      await server.close();
      await stopHeartbeat();
      log.info("stopped", { port });
    },
  };
};

/**
 * A positive integer from the environment; undefined when unset or empty (the server default applies).
 * @param name - variable name
 * @throws Error - set but not a positive integer (a bad configuration fails at start)
 */
export const positiveIntFromEnv = (name: string, env: NodeJS.ProcessEnv = process.env): number | undefined => {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") {
    return undefined;
  }
  if (!/^[1-9][0-9]*$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new Error(`${name} must be a positive integer`);
  }

  return Number(raw);
};

/** Process entry: configuration from the environment, signal handling, exit codes. */
const PURGE_INTERVAL_MS = 6 * 60 * 60 * 1000;

const main = async (): Promise<void> => {
  const env = getEnv();
  const limits = {
    idleTimeoutMs: positiveIntFromEnv("MLLP_IDLE_TIMEOUT_MS"),
    maxConnections: positiveIntFromEnv("MLLP_MAX_CONNECTIONS"),
    maxFrameBytes: positiveIntFromEnv("MLLP_MAX_FRAME_BYTES"),
  };
  const db = getDb();
  await prepareDb(db);
  const listener = await startMllpListener({
    db,
    port: env.mllpPort,
    host: process.env.MLLP_HOST || "0.0.0.0",
    ...limits,
  });
  // Retention of the message log (HL7_RETENTION_DAYS): shortly after start, then every 6 hours, off the hot path.
  const purge = (): void => {
    purgeMessages(db, { retentionDays: env.hl7RetentionDays })
      .then((deleted) => deleted > 0 && log.info("message log purged", { deleted, retentionDays: env.hl7RetentionDays }))
      .catch((error: unknown) => log.warn("message log purge failed", { error: String(error).slice(0, 200) }));
  };
  setTimeout(purge, 60_000).unref();
  setInterval(purge, PURGE_INTERVAL_MS).unref();
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      log.warn("second signal; exiting now", { signal });
      process.exit(1);
    }
    stopping = true;
    log.info("shutting down", { signal });
    listener
      .stop()
      .then(() => db.$disconnect())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        log.error("shutdown failed", { error: String(error) });
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    log.error("failed to start", { error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
}
