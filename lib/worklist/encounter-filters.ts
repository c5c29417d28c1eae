/**
 * The worklist's Prisma where clauses: who may see what (access), what was typed (search) and the filters.
 * Every clause starts from columns with an index — Encounter (departmentId, status), Patient (mrn, issuer),
 * PatientAlias (mrn, issuer), Encounter (visitNumber, visitIssuer) — so the database narrows by department and status
 * first and tests the folded name only on that set; both SQLite and PostgreSQL run the same portable query.
 */
import { canSeeAllDepartments, type TSessionUser } from "../auth/roles";
import { parseSearchQuery, type TSearchTerm } from "./parse-search-query";

export type TWorklistFilters = {
  /** Search text: name parts, MRN, birth date, visit number. */
  q?: string;
  /** One of the user's departments (id); all of them when omitted. */
  departmentId?: string;
  /** Point of care (PV1-3.1). */
  location?: string;
  /** active | discharged; both when omitted (discharged ones only within the discharged window). */
  status?: "active" | "discharged";
  /** YYYY-MM-DD: encounters in hospital on or after this day (discharged on/after it, or still in). */
  from?: string;
  /** YYYY-MM-DD: encounters admitted on or before this day. */
  to?: string;
};

/** Where clause restricting encounters to what the user may see: their departments (admins: all). */
export const visibleEncounterWhere = (user: TSessionUser) =>
  canSeeAllDepartments(user) ? {} : { departmentId: { in: user.departmentIds } };

const wordWhere = (t: { folded: string; raw: string }) => [
  { patient: { searchText: { contains: t.folded } } },
  { patient: { mrn: t.raw } },
  // an MRN merged away (A40/A34) or replaced (A47) still finds the patient
  { patient: { aliases: { some: { mrn: t.raw } } } },
  { visitNumber: t.raw },
];

const termWhere = (t: TSearchTerm) => {
  switch (t.kind) {
    case "birthDate":
      return { patient: { birthDate: t.value } };
    case "birthYear":
      return { OR: [{ patient: { birthDate: { startsWith: t.value } } }, ...wordWhere(t)] };
    case "word":
      return { OR: wordWhere(t) };
  }
};

const dayStart = (day: string): Date => new Date(`${day}T00:00:00`);
const dayEnd = (day: string): Date => new Date(dayStart(day).getTime() + 86_400_000);

/** Status and date window; without a date window a discharged encounter stays listed for `dischargedVisibleMs`. */
const timeWhere = (f: TWorklistFilters, dischargedVisibleMs: number) => {
  const statuses = f.status ? [f.status] : ["active", "discharged"];
  if (!f.from && !f.to) {
    const since = new Date(Date.now() - dischargedVisibleMs);

    return {
      OR: statuses.map((status) => (status === "active" ? { status } : { status, dischargedAt: { gte: since } })),
    };
  }

  return {
    AND: [
      { status: { in: statuses } },
      f.to ? { OR: [{ admittedAt: { lt: dayEnd(f.to) } }, { admittedAt: null }] } : {},
      f.from ? { OR: [{ dischargedAt: null }, { dischargedAt: { gte: dayStart(f.from) } }] } : {},
    ],
  };
};

/**
 * The full where clause of a worklist query.
 * @param user - the caller (access)
 * @param f - search text and filters (already validated)
 * @param dischargedVisibleMs - how long a discharged encounter stays listed without a date filter
 */
export const worklistWhere = (user: TSessionUser, f: TWorklistFilters, dischargedVisibleMs: number) => ({
  AND: [
    visibleEncounterWhere(user),
    f.departmentId ? { departmentId: f.departmentId } : {},
    f.location ? { pointOfCare: f.location } : {},
    timeWhere(f, dischargedVisibleMs),
    ...parseSearchQuery(f.q ?? "").map(termWhere),
  ],
});
