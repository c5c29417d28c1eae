/**
 * The audit log for admins: who viewed, captured or changed what, for which patient, when. Reading it is itself an
 * audited event (audit.view / audit.export), recorded with the filter used.
 */
import { z } from "zod";
import type { TSessionUser } from "../auth/roles";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { assertAdmin } from "../users/assert-admin";
import { recordAuditEvent } from "./record-audit-event";

export const AUDIT_EVENTS_PER_PAGE = 50;

export const ZAuditFilter = z.object({
  /** E-mail (or part of it) of the acting user. */
  user: z.string().trim().toLowerCase().max(200).optional(),
  /** Patient MRN (exact) or patient id. */
  patient: z.string().trim().max(64).optional(),
  /** An action (e.g. patient.view) or a family of actions ending in ".*" (e.g. catalog.*). */
  action: z.string().trim().max(64).optional(),
  /** Inclusive days, YYYY-MM-DD (server time). */
  from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "from must be YYYY-MM-DD").optional().or(z.literal("")),
  to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "to must be YYYY-MM-DD").optional().or(z.literal("")),
  page: z.coerce.number().int().min(0).max(100_000).optional(),
});

export type TAuditFilter = z.input<typeof ZAuditFilter>;

export type TAuditRow = {
  id: string;
  at: Date;
  action: string;
  outcome: number;
  user: string;
  patient: string;
  studyId: string;
  subject: string;
  detail: string;
  source: string;
};

/**
 * The Prisma where-clause of a filter (shared with the CSV export).
 * @param db - database client
 * @param filter - parsed filter
 */
export const auditWhere = async (db: TDb, filter: z.output<typeof ZAuditFilter>) => {
  const day = (s: string | undefined, end: boolean): Date | undefined => (s ? new Date(`${s}T${end ? "23:59:59.999" : "00:00:00"}`) : undefined);
  const from = day(filter.from || undefined, false);
  const to = day(filter.to || undefined, true);
  const users = filter.user ? await db.user.findMany({ where: { email: { contains: filter.user } }, select: { id: true } }) : null;
  const patients = filter.patient
    ? await db.patient.findMany({ where: { OR: [{ mrn: filter.patient }, { id: filter.patient }] }, select: { id: true } })
    : null;
  const action = filter.action?.endsWith(".*") ? { startsWith: filter.action.slice(0, -1) } : filter.action || undefined;

  return {
    ...(users ? { userId: { in: users.map((u) => u.id) } } : {}),
    ...(patients ? { patientId: { in: patients.map((p) => p.id) } } : {}),
    ...(action ? { action } : {}),
    ...(from || to ? { at: { ...(from ? { gte: from } : {}), ...(to ? { lte: to } : {}) } } : {}),
  };
};

/**
 * Names for the user and patient ids of audit events (one query each).
 * @param db - database client
 * @param events - raw AuditEvent rows
 */
export const describeAuditEvents = async (
  db: TDb,
  events: { id: string; at: Date; action: string; outcome: number; userId: string | null; patientId: string | null; studyId: string | null; subject: string; detail: string; source: string }[],
): Promise<TAuditRow[]> => {
  const ids = (k: "userId" | "patientId") => [...new Set(events.flatMap((e) => (e[k] ? [e[k]] : [])))];
  const [users, patients] = await Promise.all([
    db.user.findMany({ where: { id: { in: ids("userId") } }, select: { id: true, email: true } }),
    db.patient.findMany({ where: { id: { in: ids("patientId") } }, select: { id: true, mrn: true, issuer: true, familyName: true, givenName: true } }),
  ]);

  return events.map((e) => {
    const p = patients.find((x) => x.id === e.patientId);
    return {
      id: e.id,
      at: e.at,
      action: e.action,
      outcome: e.outcome,
      user: users.find((u) => u.id === e.userId)?.email ?? e.userId ?? "",
      patient: p ? `${[p.familyName.toUpperCase(), p.givenName].filter(Boolean).join(", ")} (${p.mrn}^${p.issuer})` : (e.patientId ?? ""),
      studyId: e.studyId ?? "",
      subject: e.subject,
      detail: e.detail,
      source: e.source,
    };
  });
};

/**
 * One page of the audit log, newest first (admins only); records an audit.view event with the filter.
 * @param db - database client
 * @param user - the caller
 * @param input - user, patient, action, from, to, page (0-based)
 */
export const findAuditEvents = async (db: TDb, user: TSessionUser, input: TAuditFilter): Promise<{ total: number; page: number; rows: TAuditRow[] }> => {
  await assertAdmin(db, user, "audit.view");
  const parsed = ZAuditFilter.safeParse(input);
  if (!parsed.success) {
    throw new AppError("bad_request", parsed.error.issues.map((i) => i.message).join("; "));
  }
  const filter = parsed.data;
  const where = await auditWhere(db, filter);
  const page = filter.page ?? 0;
  const [total, events] = await Promise.all([
    db.auditEvent.count({ where }),
    db.auditEvent.findMany({ where, orderBy: [{ at: "desc" }, { id: "desc" }], skip: page * AUDIT_EVENTS_PER_PAGE, take: AUDIT_EVENTS_PER_PAGE }),
  ]);
  await recordAuditEvent(db, { action: "audit.view", userId: user.id, subject: "audit log", detail: describeFilter(filter) });

  return { total, page, rows: await describeAuditEvents(db, events) };
};

/**
 * The filter as one line for the audit detail.
 * @param f - parsed filter
 */
export const describeFilter = (f: z.output<typeof ZAuditFilter>): string =>
  Object.entries({ user: f.user, patient: f.patient, action: f.action, from: f.from, to: f.to, page: f.page })
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ") || "no filter";
