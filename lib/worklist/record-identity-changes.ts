/**
 * List images already delivered under identifiers an ADT event is about to change: one IdentityChange row per study
 * with at least one instance whose delivery is "stored" or in flight ("sending": it may be stored under the old
 * identity a moment later), in any destination. Call it BEFORE moving the studies, in the same transaction. The
 * correction of the archive (IOCM) is a later step; these rows are its work list. Images not yet sent need no row:
 * the forwarder re-stamps them with the current identity before sending (lib/forwarding/restamp-instance.ts).
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
  // Step by step from the study side, each read on an index (a relation filter from Instance scans it on SQLite).
  const studies = await tx.study.findMany({ where: change.studies, select: { id: true } });
  if (studies.length === 0) {
    return 0;
  }
  const series = await tx.series.findMany({
    where: { studyId: { in: studies.map((s) => s.id) } },
    select: { id: true, studyId: true },
  });
  const studyOf = new Map(series.map((s) => [s.id, s.studyId]));
  const delivered = await tx.instance.findMany({
    // "sending": a send in flight when this event commits went out under the old identity if it succeeds.
    where: { seriesId: { in: [...studyOf.keys()] }, deliveries: { some: { status: { in: ["stored", "sending"] } } } },
    select: { sopInstanceUid: true, seriesId: true },
  });
  const byStudy = new Map<string, string[]>();
  for (const instance of delivered.sort((a, b) => a.sopInstanceUid.localeCompare(b.sopInstanceUid))) {
    const studyId = studyOf.get(instance.seriesId)!;
    byStudy.set(studyId, [...(byStudy.get(studyId) ?? []), instance.sopInstanceUid]);
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
