/**
 * The worklist: encounters a user may see (their departments; admins all), active or discharged within the
 * window, optionally filtered by a name / MRN / visit-number search.
 */
import type { TDb } from "../db";
import { getEnv } from "../env";
import { canSeeAllDepartments, type TSessionUser } from "../auth/roles";
import { foldSearchText } from "./fold-search-text";
import { formatBirthDate, formatDisplayName } from "./format-name";


export type TEncounterSummary = {
  id: string;
  visitNumber: string;
  facility: string;
  location: string;
  status: string;
  patientClass: string;
  admittedAt: string | null;
  patient: { mrn: string; issuer: string; name: string; birthDate: string; sex: string };
};

/** Where clause restricting encounters to what the user may see. */
export const visibleEncounterWhere = (user: TSessionUser) =>
  canSeeAllDepartments(user) ? {} : { departmentId: { in: user.departmentIds } };

/**
 * Encounters visible to the user, most recent first.
 * @param db - database client
 * @param user - the caller
 * @param opts - q: search text (name, MRN or visit number); limit: max rows; dischargedVisibleMs: how long a
 *   discharged encounter stays listed (WORKLIST_DISCHARGED_HOURS, default 72 h)
 */
export const findEncounters = async (
  db: TDb,
  user: TSessionUser,
  opts: { q?: string; limit?: number; dischargedVisibleMs?: number } = {},
): Promise<TEncounterSummary[]> => {
  const q = foldSearchText(opts.q ?? "");
  const since = new Date(Date.now() - (opts.dischargedVisibleMs ?? getEnv().dischargedVisibleMs));
  const rows = await db.encounter.findMany({
    where: {
      AND: [
        visibleEncounterWhere(user),
        { OR: [{ status: "active" }, { status: "discharged", dischargedAt: { gte: since } }] },
        q
          ? {
              OR: [
                { patient: { searchText: { contains: q } } },
                { patient: { mrn: opts.q?.trim() } },
                // an MRN merged away (A40/A34) or replaced (A47) still finds the patient
                { patient: { aliases: { some: { mrn: opts.q?.trim() } } } },
                { visitNumber: opts.q?.trim() },
              ],
            }
          : {},
      ],
    },
    include: { patient: true, facility: true },
    orderBy: [{ admittedAt: "desc" }, { updatedAt: "desc" }],
    take: opts.limit ?? 100,
  });

  return rows.map((e) => ({
    id: e.id,
    visitNumber: e.visitNumber,
    facility: e.facility?.name ?? "",
    location: [e.pointOfCare, e.room, e.bed].filter(Boolean).join(" / "),
    status: e.status,
    patientClass: e.patientClass,
    admittedAt: e.admittedAt?.toISOString() ?? null,
    patient: {
      mrn: e.patient.mrn,
      issuer: e.patient.issuer,
      name: formatDisplayName(e.patient),
      birthDate: formatBirthDate(e.patient.birthDate),
      sex: e.patient.sex,
    },
  }));
};
