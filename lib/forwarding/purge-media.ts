/**
 * Media purge: delete an instance's local DICOM file once the archives hold it (reliability-matrix.md §2.1 "local
 * media is purged only after *stored* plus a configurable retention period").
 *
 * An instance is purged when ALL of these hold:
 * - it has at least one delivery job (an instance that was never routed anywhere is kept);
 * - every one of its jobs is `stored` (none queued, sending, failed or cancelled);
 * - its latest storedAt is older than the retention (MEDIA_RETENTION_DAYS; 0 = at the first run after the last
 *   store; "never" = no purging).
 * Instance.purgedAt is set first, with the same conditions re-checked in the UPDATE (compare-and-set), together
 * with an `instance.purged` audit event; only then is the file deleted. A job queued afterwards (an admin's resend,
 * a re-delivery to a new destination) fails clearly with "local copy purged" (deliver-job-group.ts) instead of
 * sending something else. Besides Instance.filePath, earlier versions of the same instance left by re-stamping
 * (`<uid>.dcm`, `<uid>.<hex>.dcm` in the same directory, restamp-instance.ts) are deleted too.
 * Logs carry counts only (no UIDs, no paths).
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { TDb } from "../db";
import { recordAuditEvent } from "../audit/record-audit-event";

export type TPurgeOptions = {
  /** DATA_DIR: Instance.filePath is relative to it. */
  dataDir: string;
  /** Days after the last stored delivery (0 = right away). */
  retentionDays: number;
  /** At most this many instances per call (the worker calls again on its next tick). */
  limit?: number;
  now?: Date;
};

export type TPurgeResult = { purged: number; filesDeleted: number; fileErrors: number };

const DAY_MS = 24 * 60 * 60 * 1000;

/** Every job stored, and stored before the cutoff; at least one job. */
const purgeable = (cutoff: Date) => ({
  purgedAt: null,
  deliveries: { some: {}, every: { status: "stored", storedAt: { lt: cutoff } } },
});

/** The instance's file plus re-stamp leftovers of the same SOP Instance UID next to it. */
const filesOf = async (root: string, filePath: string, sopInstanceUid: string, instanceId: string): Promise<string[]> => {
  const current = path.resolve(root, filePath);
  const dir = path.dirname(current);
  let names: string[] = [];
  try {
    names = await fs.readdir(dir);
  } catch {
    names = [];
  }
  const escaped = sopInstanceUid.replace(/\./g, "\\.");
  const sameInstance = new RegExp(`^${escaped}(\\.[0-9a-f]+)?\\.dcm$`);
  const others = names.filter((n) => sameInstance.test(n)).map((n) => path.join(dir, n));

  // Derived images go too: the video poster frame next to the file and the UI's cached thumbnail.
  const derived = [`${current}.poster.jpg`, path.join(root, "thumbnails", `${instanceId}.jpg`)];

  return [...new Set([current, ...others, ...derived])].filter((f) => f.startsWith(root + path.sep));
};

/**
 * Purge what is due.
 * @param db - database client
 * @param options - DATA_DIR, retention in days, batch limit, clock
 * @returns how many instances were marked purged and files deleted
 */
export const purgeMedia = async (db: TDb, { dataDir, retentionDays, limit = 500, now = new Date() }: TPurgeOptions): Promise<TPurgeResult> => {
  const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
  // retention 0: stored "before now" (lt) must include a store in this very millisecond.
  const effectiveCutoff = retentionDays === 0 ? new Date(now.getTime() + 1) : cutoff;
  const candidates = await db.instance.findMany({
    where: purgeable(effectiveCutoff),
    take: limit,
    select: { id: true, sopInstanceUid: true, filePath: true, series: { select: { study: { select: { id: true, patientId: true } } } } },
  });
  const root = path.resolve(dataDir);
  const result: TPurgeResult = { purged: 0, filesDeleted: 0, fileErrors: 0 };
  for (const instance of candidates) {
    const marked = await db.$transaction(async (tx) => {
      const { count } = await tx.instance.updateMany({ where: { id: instance.id, ...purgeable(effectiveCutoff) }, data: { purgedAt: now } });
      if (count === 1) {
        await recordAuditEvent(tx, {
          action: "instance.purged",
          patientId: instance.series.study.patientId,
          studyId: instance.series.study.id,
          subject: instance.sopInstanceUid,
          detail: `local copy deleted: every delivery stored, retention ${retentionDays} day(s) over`,
          source: "forwarder",
        });
      }

      return count === 1;
    });
    if (!marked) {
      continue;
    }
    result.purged += 1;
    for (const file of await filesOf(root, instance.filePath, instance.sopInstanceUid, instance.id)) {
      try {
        await fs.unlink(file);
        result.filesDeleted += 1;
      } catch (err) {
        // Already gone (an earlier run died between the mark and the delete) is fine.
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
          result.fileErrors += 1;
        }
      }
    }
  }

  return result;
};
