/**
 * Images delivered to an archive under an identity that an ADT event has since changed (IdentityChange rows written
 * by merges A40/A34, identifier changes A47 and visit renumbering A06/A07/A35), for the imaging team's work list.
 * Newest first. Callers check that the user is an admin.
 */
import type { TDb } from "../db";
import { formatDisplayName } from "./format-name";

export type TIdentityChangeSummary = {
  id: string;
  /** merge | identifier-change | visit-change */
  kind: string;
  /** Patient ID / Issuer of Patient ID (and Admission ID for visit-change) the images carry in the archive. */
  from: { mrn: string; issuer: string; visitNumber: string };
  /** The patient the study belongs to now. */
  to: { patientId: string; mrn: string; issuer: string; name: string };
  study: { id: string; studyInstanceUid: string; description: string; visitNumber: string };
  sopInstanceUids: string[];
  hl7MessageId: string;
  createdAt: Date;
  resolvedAt: Date | null;
};

export type TFindIdentityChangesOptions = {
  /** Only rows not yet marked resolved. */
  unresolvedOnly?: boolean;
  /** Max rows (default 200). */
  limit?: number;
};

/**
 * List identity changes.
 * @param db - database client
 * @param options - unresolvedOnly, limit
 */
export const findIdentityChanges = async (
  db: TDb,
  options: TFindIdentityChangesOptions = {},
): Promise<TIdentityChangeSummary[]> => {
  const rows = await db.identityChange.findMany({
    where: options.unresolvedOnly ? { resolvedAt: null } : {},
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    take: options.limit ?? 200,
    include: {
      toPatient: true,
      study: { select: { id: true, studyInstanceUid: true, studyDescription: true, encounter: { select: { visitNumber: true } } } },
    },
  });

  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    from: { mrn: r.fromMrn, issuer: r.fromIssuer, visitNumber: r.fromVisitNumber },
    to: { patientId: r.toPatientId, mrn: r.toPatient.mrn, issuer: r.toPatient.issuer, name: formatDisplayName(r.toPatient) },
    study: {
      id: r.study.id,
      studyInstanceUid: r.study.studyInstanceUid,
      description: r.study.studyDescription,
      visitNumber: r.study.encounter.visitNumber,
    },
    sopInstanceUids: r.sopInstanceUids === "" ? [] : r.sopInstanceUids.split("\\"),
    hl7MessageId: r.hl7MessageId,
    createdAt: r.createdAt,
    resolvedAt: r.resolvedAt,
  }));
};
