/**
 * A capture (study) with each instance's delivery state, for the API and the capture page's live status.
 */
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { recordAuditEvent } from "../audit/record-audit-event";
import { AppError } from "../errors";
import { canViewStudyImages } from "../history/can-view-study";
import { visibleEncounterWhere } from "../worklist/find-encounters";

export type TDeliveryStatus = "queued" | "sending" | "stored" | "failed";
export type TCaptureInstance = {
  sopInstanceUid: string;
  sopClassUid: string;
  instanceNumber: number;
  originalName: string;
  status: TDeliveryStatus;
  lastError: string;
};
export type TCapture = {
  id: string;
  studyInstanceUid: string;
  encounterId: string;
  createdAt: string;
  /** lib/capture/consent.ts value, "" = not recorded. */
  consent: string;
  sensitive: boolean;
  /** The catalog item's version the capture used. */
  catalogVersion: number;
  instances: TCaptureInstance[];
};

/**
 * One instance's state over all its destinations: failed if any failed, stored when all stored, sending while
 * any is being sent, queued otherwise (also when no destination is enabled yet: it waits for one).
 */
export const summariseDeliveries = (jobs: { status: string; lastError: string }[]): { status: TDeliveryStatus; lastError: string } => {
  const lastError = jobs.map((j) => j.lastError).filter(Boolean).join("; ");
  if (jobs.some((j) => j.status === "failed")) {
    return { status: "failed", lastError };
  }
  if (jobs.length > 0 && jobs.every((j) => j.status === "stored")) {
    return { status: "stored", lastError: "" };
  }
  if (jobs.some((j) => j.status === "sending")) {
    return { status: "sending", lastError };
  }

  return { status: "queued", lastError: jobs.length === 0 ? "no enabled destination: waiting for one" : lastError };
};

/**
 * The capture if the user may see its encounter; "not found" otherwise.
 * @param db - database client
 * @param user - the caller
 * @param id - capture (study) id
 * @param opts - audit: record a capture.view event (default true)
 */
export const getCapture = async (db: TDb, user: TSessionUser, id: string, opts: { audit?: boolean } = {}): Promise<TCapture> => {
  const study = await db.study.findFirst({
    where: { id, encounter: visibleEncounterWhere(user) },
    include: {
      catalogItem: { select: { departmentId: true } },
      series: { include: { instances: { include: { deliveries: true }, orderBy: { instanceNumber: "asc" } } }, orderBy: { seriesNumber: "asc" } },
    },
  });
  // A sensitive capture is "not found" for everyone else, as another department's capture is.
  if (!study || !canViewStudyImages(user, { sensitive: study.sensitive, operatorId: study.operatorId, departmentId: study.catalogItem.departmentId })) {
    throw new AppError("not_found", "capture not found");
  }
  // One audit event per user, study and 5 minutes: the capture page polls this every second.
  const recent = opts.audit === false ? null : await db.auditEvent.findFirst({
    where: { action: "capture.view", userId: user.id, studyId: study.id, at: { gte: new Date(Date.now() - 5 * 60_000) } },
    select: { id: true },
  });
  if (opts.audit !== false && !recent) {
    await recordAuditEvent(db, { action: "capture.view", userId: user.id, patientId: study.patientId, studyId: study.id, subject: study.studyInstanceUid });
  }

  return {
    id: study.id,
    studyInstanceUid: study.studyInstanceUid,
    encounterId: study.encounterId,
    createdAt: study.createdAt.toISOString(),
    consent: study.consent,
    sensitive: study.sensitive,
    catalogVersion: study.catalogVersion,
    instances: study.series.flatMap((s) =>
      s.instances.map((i) => ({
        sopInstanceUid: i.sopInstanceUid,
        sopClassUid: i.sopClassUid,
        instanceNumber: i.instanceNumber,
        originalName: i.originalName,
        ...summariseDeliveries(i.deliveries),
      })),
    ),
  };
};
