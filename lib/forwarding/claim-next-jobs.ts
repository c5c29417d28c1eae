/**
 * Claiming delivery jobs with a lease, safely across processes on SQLite and PostgreSQL alike.
 *
 * A job is due when it is `queued` with nextAttemptAt ≤ now, or `sending` with an expired lease (its forwarder
 * crashed or lost the database). Each candidate is taken with a compare-and-set: one `UPDATE … WHERE id = ? AND
 * status = <seen> AND …` whose affected-row count is 1 only for the claimer that got there first (Prisma's
 * updateMany compiles to exactly that statement; on PostgreSQL the loser's UPDATE re-checks the WHERE after the
 * winner commits and matches nothing). No raw SQL, so SQLite's adapter-specific DateTime format never matters.
 */
import type { TDb } from "../db";
import type { TEncounterWithPatient } from "../capture/to-photo-context";

export type TClaimedJob = {
  id: string;
  attempts: number;
  createdAt: Date;
  /** True when the job was taken over from a forwarder whose lease had expired. */
  reclaimed: boolean;
  instance: {
    id: string;
    sopInstanceUid: string;
    sopClassUid: string;
    transferSyntaxUid: string;
    /** Relative to DATA_DIR. */
    filePath: string;
    size: number;
    sha256: string;
    /** Identity fingerprint written into the file ("" = not tracked); see restamp-instance.ts. */
    stampedIdentity: string;
    series: {
      seriesInstanceUid: string;
      study: { id: string; patientId: string; studyInstanceUid: string; encounter: TEncounterWithPatient };
    };
  };
  /** kind: "stow-rs" or "dimse" (url then dicom://CALLED_AE@host:port). */
  destination: { id: string; name: string; url: string; kind: string };
  /** The rule version that routed the job: its bucket identity is stamped into the bytes sent (stamp-bucket-identity.ts). */
  ruleVersion?: {
    id: string; version: number; createdAt: Date; issuerOfPatientId: string; institutionName: string;
    institutionDepartmentName: string; sourceSystemCode: string; rule: { name: string };
  } | null;
};

export type TClaimOptions = {
  /** Identifies this forwarder in DeliveryJob.lockedBy. */
  workerId: string;
  /** At most this many jobs. */
  limit: number;
  /** Lease length, ms: the job is re-claimable by anyone once it expires. */
  leaseMs: number;
  now?: Date;
};

const CLAIMED_JOB_SELECT = {
  id: true,
  attempts: true,
  createdAt: true,
  instance: {
    select: {
      id: true,
      sopInstanceUid: true,
      sopClassUid: true,
      transferSyntaxUid: true,
      filePath: true,
      size: true,
      sha256: true,
      stampedIdentity: true,
      series: {
        select: {
          seriesInstanceUid: true,
          study: {
            select: {
              id: true,
              patientId: true,
              studyInstanceUid: true,
              // The identity the file should carry now (restamp-instance.ts).
              encounter: {
                select: {
                  visitNumber: true,
                  visitIssuer: true,
                  attendingDoctor: true,
                  facility: { select: { name: true, mrnAuthorityOid: true, mrnAuthority: true } },
                  patient: {
                    select: {
                      mrn: true, issuer: true, familyName: true, givenName: true, middleName: true, suffix: true,
                      prefix: true, birthDate: true, sex: true,
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
  destination: { select: { id: true, name: true, url: true, kind: true } },
  ruleVersion: {
    select: {
      id: true, version: true, createdAt: true, issuerOfPatientId: true, institutionName: true,
      institutionDepartmentName: true, sourceSystemCode: true, rule: { select: { name: true } },
    },
  },
} as const;

/**
 * Claim up to `limit` due jobs for enabled destinations, oldest due first, and mark them `sending` under this
 * worker's lease.
 * @param db - database client
 * @param options - worker id, limit, lease length, clock
 * @returns the jobs this worker now owns, with what is needed to send them
 */
export const claimNextJobs = async (db: TDb, { workerId, limit, leaseMs, now = new Date() }: TClaimOptions): Promise<TClaimedJob[]> => {
  if (limit <= 0) {
    return [];
  }
  const candidates = await db.deliveryJob.findMany({
    where: {
      destination: { enabled: true },
      OR: [
        { status: "queued", nextAttemptAt: { lte: now } },
        { status: "sending", leaseUntil: { lt: now } },
      ],
    },
    orderBy: { nextAttemptAt: "asc" },
    // Ask for more than needed: other forwarders may win some of them.
    take: limit * 2,
    select: { id: true, status: true, lockedBy: true },
  });
  const leaseUntil = new Date(now.getTime() + leaseMs);
  const claimed = new Map<string, boolean>();
  // Queued candidates in one compare-and-set statement (one commit instead of one per job); a row another claimer
  // took meanwhile no longer matches `status = queued`. The exact leaseUntil tells which rows this call got.
  const queued = candidates.filter((c) => c.status === "queued").slice(0, limit).map((c) => c.id);
  if (queued.length > 0) {
    await db.deliveryJob.updateMany({
      where: { id: { in: queued }, status: "queued", nextAttemptAt: { lte: now } },
      data: { status: "sending", lockedBy: workerId, leaseUntil },
    });
    const won = await db.deliveryJob.findMany({ where: { id: { in: queued }, status: "sending", lockedBy: workerId, leaseUntil }, select: { id: true } });
    for (const w of won) {
      claimed.set(w.id, false);
    }
  }
  // The rest one by one: expired leases, and the other queued candidates when another claimer won part of the batch.
  for (const c of candidates.filter((x) => !queued.includes(x.id))) {
    if (claimed.size >= limit) {
      break;
    }
    const where =
      c.status === "queued"
        ? { id: c.id, status: "queued", nextAttemptAt: { lte: now } }
        : { id: c.id, status: "sending", lockedBy: c.lockedBy, leaseUntil: { lt: now } };
    const { count } = await db.deliveryJob.updateMany({ where, data: { status: "sending", lockedBy: workerId, leaseUntil } });
    if (count === 1) {
      claimed.set(c.id, c.status === "sending");
    }
  }
  if (claimed.size === 0) {
    return [];
  }
  const rows = await db.deliveryJob.findMany({
    where: { id: { in: [...claimed.keys()] }, lockedBy: workerId, status: "sending" },
    select: CLAIMED_JOB_SELECT,
  });

  return rows.map((r) => ({ ...r, reclaimed: claimed.get(r.id) ?? false }));
};
