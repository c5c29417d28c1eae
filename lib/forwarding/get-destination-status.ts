/**
 * The operations view of one destination (issue 5): what waits, how fast it drains, what failed and why.
 */
import type { TDb } from "../db";
import { AppError } from "../errors";

export type TDestinationStatus = {
  id: string;
  name: string;
  url: string;
  kind: string;
  enabled: boolean;
  counts: { queued: number; sending: number; stored: number; failed: number; cancelled: number };
  /** When the oldest job still waiting (queued or sending) was created; null when none waits. */
  oldestWaitingSince: Date | null;
  /** Instances stored in the last 15 minutes, per minute. */
  storedPerMinute: number;
  /** Bytes stored in the last 15 minutes, per second. */
  storedBytesPerSecond: number;
  /** The latest failed jobs (status failed) and retrying ones (queued with an error), newest first. */
  problems: { jobId: string; sopInstanceUid: string; status: string; attempts: number; lastError: string; at: Date }[];
};

const WINDOW_MS = 15 * 60 * 1000;

/**
 * One destination's operations view: queue depth by state, oldest waiting item, recent throughput and the latest
 * failures with their reasons (lastError holds no patient data).
 * @param db - database client
 * @param id - destination id
 * @param now - clock
 */
export const getDestinationStatus = async (db: TDb, id: string, now = new Date()): Promise<TDestinationStatus> => {
  const destination = await db.destination.findUnique({ where: { id } });
  if (!destination) {
    throw new AppError("not_found", "no such destination");
  }
  const since = new Date(now.getTime() - WINDOW_MS);
  const [groups, oldest, recent, problems] = await Promise.all([
    db.deliveryJob.groupBy({ by: ["status"], where: { destinationId: id }, _count: { _all: true } }),
    db.deliveryJob.findFirst({
      where: { destinationId: id, status: { in: ["queued", "sending"] } },
      orderBy: { createdAt: "asc" },
      select: { createdAt: true },
    }),
    db.deliveryJob.findMany({
      where: { destinationId: id, status: "stored", storedAt: { gte: since } },
      select: { instance: { select: { size: true } } },
    }),
    db.deliveryJob.findMany({
      where: { destinationId: id, OR: [{ status: "failed" }, { status: "queued", lastError: { not: "" } }] },
      orderBy: { updatedAt: "desc" },
      take: 20,
      select: { id: true, status: true, attempts: true, lastError: true, updatedAt: true, instance: { select: { sopInstanceUid: true } } },
    }),
  ]);
  const count = (status: string): number => groups.find((g) => g.status === status)?._count._all ?? 0;
  const bytes = recent.reduce((sum, r) => sum + r.instance.size, 0);

  return {
    id: destination.id,
    name: destination.name,
    url: destination.url,
    kind: destination.kind,
    enabled: destination.enabled,
    counts: { queued: count("queued"), sending: count("sending"), stored: count("stored"), failed: count("failed"), cancelled: count("cancelled") },
    oldestWaitingSince: oldest?.createdAt ?? null,
    storedPerMinute: recent.length / (WINDOW_MS / 60_000),
    storedBytesPerSecond: bytes / (WINDOW_MS / 1000),
    problems: problems.map((p) => ({
      jobId: p.id,
      sopInstanceUid: p.instance.sopInstanceUid,
      status: p.status,
      attempts: p.attempts,
      lastError: p.lastError,
      at: p.updatedAt,
    })),
  };
};
