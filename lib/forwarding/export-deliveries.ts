/**
 * Divestiture export: every instance of one facility (or one routing rule) as CSV, one row per instance, with each
 * destination's delivery status and storedAt, streamed page by page. Audited before the first row
 * (`delivery.export`, who, which scope, how many instances). The list carries patient identifiers (MRN + issuer,
 * visit): admins only, and it never goes into a log.
 */
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { recordAuditEvent } from "../audit/record-audit-event";
import { assertAdmin } from "./assert-admin";
import { describeScope, scopeInstanceIdPages, scopeWhere, type TDivestitureScope } from "./divestiture-scope";

const FIXED_COLUMNS = [
  "patient_id", "issuer_of_patient_id", "visit_number", "visit_issuer", "facility", "study_instance_uid",
  "series_instance_uid", "sop_instance_uid", "sop_class_uid", "modality", "catalog_code", "created_at", "local_copy",
];

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A leading =, +, @ or tab (which a
 * spreadsheet would run as a formula) gets a leading apostrophe.
 */
export const csvField = (value: string): string => {
  const safe = /^[=+@\t\r]/.test(value) ? `'${value}` : value;

  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

const csvLine = (fields: string[]): string => `${fields.map(csvField).join(",")}\r\n`;

/**
 * @param db - database client
 * @param actor - the admin exporting
 * @param scope - facility or routing rule
 * @returns the file name and an async iterable of CSV lines (header first)
 * @throws AppError forbidden, not_found
 */
export const exportDeliveries = async (
  db: TDb,
  actor: TSessionUser,
  scope: TDivestitureScope,
): Promise<{ fileName: string; count: number; lines: AsyncIterable<string> }> => {
  assertAdmin(actor);
  const label = await describeScope(db, scope);
  const [count, destinations] = await Promise.all([
    db.instance.count({ where: scopeWhere(scope) }),
    db.destination.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true } }),
  ]);
  await recordAuditEvent(db, {
    action: "delivery.export",
    userId: actor.id,
    subject: label,
    detail: `divestiture list of ${count} instance(s) exported as CSV`,
  });
  async function* lines(): AsyncGenerator<string> {
    yield csvLine([...FIXED_COLUMNS, ...destinations.flatMap((d) => [`${d.name} status`, `${d.name} stored_at`])]);
    for await (const ids of scopeInstanceIdPages(db, scope)) {
      const rows = await db.instance.findMany({
        where: { id: { in: ids } },
        orderBy: { id: "asc" },
        select: {
          sopInstanceUid: true, sopClassUid: true, createdAt: true, purgedAt: true,
          deliveries: { select: { destinationId: true, status: true, storedAt: true } },
          series: {
            select: {
              seriesInstanceUid: true, modality: true,
              study: {
                select: {
                  studyInstanceUid: true,
                  catalogItem: { select: { code: true } },
                  patient: { select: { mrn: true, issuer: true } },
                  encounter: { select: { visitNumber: true, visitIssuer: true, facility: { select: { code: true } } } },
                },
              },
            },
          },
        },
      });
      for (const r of rows) {
        const study = r.series.study;
        const jobs = new Map(r.deliveries.map((j) => [j.destinationId, j]));
        yield csvLine([
          study.patient.mrn, study.patient.issuer, study.encounter.visitNumber, study.encounter.visitIssuer,
          study.encounter.facility?.code ?? "", study.studyInstanceUid, r.series.seriesInstanceUid, r.sopInstanceUid,
          r.sopClassUid, r.series.modality, study.catalogItem.code, r.createdAt.toISOString(), r.purgedAt ? "purged" : "present",
          ...destinations.flatMap((d) => {
            const j = jobs.get(d.id);

            return [j?.status ?? "", j?.storedAt?.toISOString() ?? ""];
          }),
        ]);
      }
    }
  }
  const slug = label.replace(/[^A-Za-z0-9_-]+/g, "-");

  return { fileName: `deliveries-${slug}.csv`, count, lines: lines() };
};
