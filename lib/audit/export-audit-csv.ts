import type { TSessionUser } from "../auth/roles";
import { toCsv } from "../catalog/csv";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { assertAdmin } from "../users/assert-admin";
import { auditWhere, describeAuditEvents, describeFilter, ZAuditFilter, type TAuditFilter } from "./find-audit-events";
import { recordAuditEvent } from "./record-audit-event";

/** Most events one export returns; narrow the filter for more. */
export const MAX_AUDIT_EXPORT_ROWS = 50_000;

/**
 * The audit events matching a filter as CSV, newest first (admins only); records an audit.export event.
 * @param db - database client
 * @param user - the caller
 * @param input - user, patient, action, from, to (page is ignored)
 * @returns the CSV text and how many events it holds (and whether it was cut at MAX_AUDIT_EXPORT_ROWS)
 */
export const exportAuditCsv = async (db: TDb, user: TSessionUser, input: TAuditFilter): Promise<{ csv: string; count: number; truncated: boolean }> => {
  await assertAdmin(db, user, "audit.export");
  const parsed = ZAuditFilter.safeParse(input);
  if (!parsed.success) {
    throw new AppError("bad_request", parsed.error.issues.map((i) => i.message).join("; "));
  }
  const filter = { ...parsed.data, page: undefined };
  const events = await db.auditEvent.findMany({ where: await auditWhere(db, filter), orderBy: [{ at: "desc" }, { id: "desc" }], take: MAX_AUDIT_EXPORT_ROWS + 1 });
  const truncated = events.length > MAX_AUDIT_EXPORT_ROWS;
  const rows = await describeAuditEvents(db, events.slice(0, MAX_AUDIT_EXPORT_ROWS));
  await recordAuditEvent(db, { action: "audit.export", userId: user.id, subject: "audit log", detail: `${rows.length} event(s); ${describeFilter(filter)}` });
  const header = ["at", "action", "outcome", "user", "patient", "studyId", "subject", "detail", "source"];

  return {
    csv: toCsv([header, ...rows.map((r) => [r.at.toISOString(), r.action, r.outcome, r.user, r.patient, r.studyId, r.subject, r.detail, r.source])]),
    count: rows.length,
    truncated,
  };
};
