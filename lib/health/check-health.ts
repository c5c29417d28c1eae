import type { TDb } from "../db";
import { HEARTBEAT_STALE_MS } from "../workers/heartbeat";

export const REQUIRED_WORKERS = ["mllp-listener", "forwarder"] as const;

export type THealth = {
  status: "ok" | "degraded";
  database: "ok" | "error";
  workers: Record<string, { status: "ok" | "stale" | "missing"; lastBeat: string | null }>;
};

/**
 * Health of the whole app: the database answers and each long-running worker has beaten recently.
 * @param db - database client
 */
export const checkHealth = async (db: TDb): Promise<THealth> => {
  const workers: THealth["workers"] = {};
  try {
    const beats = await db.workerHeartbeat.findMany();
    for (const name of REQUIRED_WORKERS) {
      const latest = beats.filter((b) => b.name === name).sort((a, b) => +b.beatAt - +a.beatAt)[0];
      const fresh = !!latest && Date.now() - latest.beatAt.getTime() < HEARTBEAT_STALE_MS;
      workers[name] = { status: !latest ? "missing" : fresh ? "ok" : "stale", lastBeat: latest?.beatAt.toISOString() ?? null };
    }
  } catch {
    return { status: "degraded", database: "error", workers };
  }
  const ok = Object.values(workers).every((w) => w.status === "ok");

  return { status: ok ? "ok" : "degraded", database: "ok", workers };
};
