import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";

/** How far back "recently used" reaches, and how many patients it keeps. */
export const RECENT_WINDOW_MS = 7 * 86_400_000;
export const RECENT_MAX_PATIENTS = 10;

/**
 * The patients this user opened or captured for most recently, newest first: read from the audit trail
 * (patient.view / capture.create) through its (userId, at) index, so nothing extra is stored to remember them.
 * @param db - database client
 * @param user - the caller
 * @param opts - windowMs (default 7 days), max patients (default 10)
 * @returns patient ids, most recent first
 */
export const findRecentPatients = async (
  db: TDb,
  user: TSessionUser,
  opts: { windowMs?: number; max?: number } = {},
): Promise<string[]> => {
  const rows = await db.auditEvent.findMany({
    where: {
      userId: user.id,
      at: { gte: new Date(Date.now() - (opts.windowMs ?? RECENT_WINDOW_MS)) },
      action: { in: ["patient.view", "capture.create"] },
      patientId: { not: null },
    },
    orderBy: { at: "desc" },
    select: { patientId: true },
    take: 500,
  });
  const ids = [...new Set(rows.map((r) => r.patientId!))];

  return ids.slice(0, opts.max ?? RECENT_MAX_PATIENTS);
};
