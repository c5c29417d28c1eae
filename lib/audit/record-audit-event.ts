/**
 * Append one audit event (DICOM PS3.15 model: who, what, when, which patient, outcome).
 * The audit table is the only place besides the clinical tables where PHI-bearing context is kept.
 */
import type { TDb, TTx } from "../db";

export type TAuditAction =
  | "user.login"
  | "user.login-failed"
  | "patient.view"
  | "worklist.search"
  | "capture.create"
  | "capture.view"
  | "delivery.stored"
  | "delivery.failed"
  | "instance.restamped"
  | "instance.purged"
  | "delivery.resend"
  | "delivery.cancel"
  | "facility.save"
  | "destination.save"
  | "hl7.received"
  | "hl7.view"
  | "hl7.reprocess"
  | "identity-change.resolve"
  | "delivery.unrouted"
  | "delivery.export"
  | "delivery.redeliver"
  | "routing-rule.save"
  | "routing-rule.activate"
  | "routing-rule.reorder"
  | "catalog.save"
  | "catalog.activate"
  | "catalog.deactivate"
  | "catalog.delete"
  | "catalog.reorder"
  | "catalog.import"
  | "catalog.export"
  | "catalog.denied"
  | "user.create"
  | "user.update"
  | "user.activate"
  | "user.deactivate"
  | "user.password-reset"
  | "token.create"
  | "token.revoke"
  | "admin.denied"
  | "audit.view"
  | "audit.export";

export type TAuditEvent = {
  action: TAuditAction;
  /** 0 success, 4 minor failure, 8 serious failure (PS3.15 EventOutcomeIndicator). */
  outcome?: 0 | 4 | 8 | 12;
  userId?: string | null;
  patientId?: string | null;
  studyId?: string | null;
  /** What was touched, e.g. an encounter id, a SOP Instance UID, a destination name. */
  subject?: string;
  detail?: string;
  /** Where from: client IP, "mllp", "forwarder", "cli". */
  source?: string;
};

/**
 * The AuditEvent columns for an event (defaults applied, detail capped), shared by every writer of the table.
 * @param event - the event
 */
export const toAuditEventRow = (event: TAuditEvent) => ({
  action: event.action,
  outcome: event.outcome ?? 0,
  userId: event.userId ?? null,
  patientId: event.patientId ?? null,
  studyId: event.studyId ?? null,
  subject: event.subject ?? "",
  detail: (event.detail ?? "").slice(0, 2000),
  source: event.source ?? "",
});

/**
 * Record an audit event.
 * @param db - client or transaction (so the event commits with the change it describes)
 * @param event - the event
 */
export const recordAuditEvent = async (db: TDb | TTx, event: TAuditEvent): Promise<void> => {
  await db.auditEvent.create({ data: toAuditEventRow(event) });
};
