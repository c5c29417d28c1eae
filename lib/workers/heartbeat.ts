/**
 * Liveness rows for the long-running processes. GET /api/health reports "ok" only while the MLLP listener and
 * the forwarder have beaten within HEARTBEAT_STALE_MS, whichever process (or host) runs them.
 */
import type { TDb } from "../db";

export const HEARTBEAT_INTERVAL_MS = 2_000;
export const HEARTBEAT_STALE_MS = 10_000;

/**
 * Beat now and every HEARTBEAT_INTERVAL_MS until the returned stop function is called.
 * @param db - database client
 * @param name - process role, e.g. "mllp-listener" or "forwarder"
 */
export const startHeartbeat = async (db: TDb, name: string): Promise<() => Promise<void>> => {
  const startedAt = new Date();
  const beat = async (): Promise<void> => {
    const now = new Date();
    await db.workerHeartbeat.upsert({
      where: { name },
      create: { name, pid: process.pid, startedAt, beatAt: now },
      update: { pid: process.pid, startedAt, beatAt: now },
    });
  };
  await beat();
  const timer = setInterval(() => {
    beat().catch(() => {
      // the database may be briefly busy; the next beat retries, and health shows staleness meanwhile
    });
  }, HEARTBEAT_INTERVAL_MS);
  timer.unref();

  return async () => {
    clearInterval(timer);
    await db.workerHeartbeat.deleteMany({ where: { name, pid: process.pid } }).catch(() => {});
  };
};
