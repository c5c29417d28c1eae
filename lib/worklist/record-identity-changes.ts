/**
 * List images already delivered under identifiers an ADT event is about to change: one IdentityChange row per study
 * with at least one instance whose delivery is "stored" (in any destination). Call it BEFORE moving the studies, in
 * the same transaction. The correction of the archive (IOCM) is a later step; these rows are its work list.
 */
import type { TTx } from "../db";

export type TIdentityChangeKind = "merge" | "identifier-change" | "visit-change";

export type TRecordIdentityChanges = {
  /** Which studies: those of a patient (merge, identifier change) or of one encounter (visit change). */
  studies: { patientId: string } | { encounterId: string };
  kind: TIdentityChangeKind;
  /** The identity the images were delivered with. */
  fromMrn: string;
  fromIssuer: string;
  fromVisitNumber?: string;
  /** The patient the studies belong to afterwards. */
  toPatientId: string;
  hl7MessageId: string;
};

/**
 * Create the rows; returns how many studies were listed.
 * @param tx - transaction client
 * @param change - which studies, old identity, new patient, message
 */
export const recordIdentityChanges = async (tx: TTx, change: TRecordIdentityChanges): Promise<number> => {
  const delivered = await tx.instance.findMany({
    where: { series: { study: change.studies }, deliveries: { some: { status: "stored" } } },
    select: { sopInstanceUid: true, series: { select: { studyId: true } } },
    orderBy: { sopInstanceUid: "asc" },
  });
  const byStudy = new Map<string, string[]>();
  for (const instance of delivered) {
    const uids = byStudy.get(instance.series.studyId) ?? [];
    uids.push(instance.sopInstanceUid);
    byStudy.set(instance.series.studyId, uids);
  }
  if (byStudy.size === 0) {
    return 0;
  }
  await tx.identityChange.createMany({
    data: [...byStudy].map(([studyId, uids]) => ({
      kind: change.kind,
      fromMrn: change.fromMrn,
      fromIssuer: change.fromIssuer,
      fromVisitNumber: change.fromVisitNumber ?? "",
      toPatientId: change.toPatientId,
      studyId,
      sopInstanceUids: uids.join("\\"),
      hl7MessageId: change.hl7MessageId,
    })),
  });

  return byStudy.size;
};
