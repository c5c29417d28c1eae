/**
 * The worklist: encounters a user may see (their departments; admins all), active or discharged within the
 * window, narrowed by search text (name parts, MRN, birth date, visit number) and filters (department, point of
 * care, status, date window). Encounters of patients the user worked with recently come first, marked `recent`.
 */
import type { TDb } from "../db";
import { getEnv } from "../env";
import type { TSessionUser } from "../auth/roles";
import { worklistWhere, type TWorklistFilters } from "./encounter-filters";
import { findRecentPatients } from "./find-recent-patients";
import { formatBirthDate, formatDisplayName } from "./format-name";

export { visibleEncounterWhere } from "./encounter-filters";
export type { TWorklistFilters } from "./encounter-filters";

export type TEncounterSummary = {
  id: string;
  visitNumber: string;
  facility: string;
  location: string;
  pointOfCare: string;
  department: string;
  status: string;
  patientClass: string;
  admittedAt: string | null;
  dischargedAt: string | null;
  /** The user opened or captured for this patient recently (listed first). */
  recent: boolean;
  patient: { mrn: string; issuer: string; name: string; birthDate: string; sex: string };
};

const INCLUDE = { patient: true, facility: true, department: true } as const;
const ORDER = [{ admittedAt: "desc" as const }, { updatedAt: "desc" as const }];

type TRow = Awaited<ReturnType<TDb["encounter"]["findMany"]>>[number] & {
  patient: { mrn: string; issuer: string; familyName: string; givenName: string; middleName: string; suffix: string; prefix: string; birthDate: string; sex: string };
  facility: { name: string } | null;
  department: { code: string } | null;
};

const toSummary = (e: TRow, recent: boolean): TEncounterSummary => ({
  id: e.id,
  visitNumber: e.visitNumber,
  facility: e.facility?.name ?? "",
  location: [e.pointOfCare, e.room, e.bed].filter(Boolean).join(" / "),
  pointOfCare: e.pointOfCare,
  department: e.department?.code ?? "",
  status: e.status,
  patientClass: e.patientClass,
  admittedAt: e.admittedAt?.toISOString() ?? null,
  dischargedAt: e.dischargedAt?.toISOString() ?? null,
  recent,
  patient: {
    mrn: e.patient.mrn,
    issuer: e.patient.issuer,
    name: formatDisplayName(e.patient),
    birthDate: formatBirthDate(e.patient.birthDate),
    sex: e.patient.sex,
  },
});

/**
 * Encounters visible to the user: recently used patients first (most recent first), then the rest by admission.
 * @param db - database client
 * @param user - the caller
 * @param opts - search text and filters; limit: max rows (default 100); dischargedVisibleMs: how long a discharged
 *   encounter stays listed without a date filter (WORKLIST_DISCHARGED_HOURS, default 72 h); recentFirst (default true)
 */
export const findEncounters = async (
  db: TDb,
  user: TSessionUser,
  opts: TWorklistFilters & { limit?: number; dischargedVisibleMs?: number; recentFirst?: boolean } = {},
): Promise<TEncounterSummary[]> => {
  const where = worklistWhere(user, opts, opts.dischargedVisibleMs ?? getEnv().dischargedVisibleMs);
  const limit = opts.limit ?? 100;
  const recentIds = opts.recentFirst === false ? [] : await findRecentPatients(db, user);
  const [recentRows, rows] = await Promise.all([
    recentIds.length > 0
      ? db.encounter.findMany({ where: { AND: [where, { patientId: { in: recentIds } }] }, include: INCLUDE, orderBy: ORDER })
      : Promise.resolve([]),
    db.encounter.findMany({ where, include: INCLUDE, orderBy: ORDER, take: limit }),
  ]);
  const rank = new Map(recentIds.map((id, i) => [id, i]));
  const recent = [...recentRows].sort((a, b) => rank.get(a.patientId)! - rank.get(b.patientId)!) as TRow[];
  const seen = new Set(recent.map((e) => e.id));
  const rest = (rows as TRow[]).filter((e) => !seen.has(e.id));

  return [...recent.map((e) => toSummary(e, true)), ...rest.map((e) => toSummary(e, false))].slice(0, Math.max(limit, recent.length));
};
