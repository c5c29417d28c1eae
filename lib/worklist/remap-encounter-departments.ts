/**
 * Recompute Encounter.departmentId from the current LocationMapping rows, so an admin's mapping edit reaches the
 * encounters already on (or about to come back to) the worklist. ADT messages only re-read the mapping when an
 * encounter's point of care or facility changes, so call this after every mapping create/update/delete.
 *
 * Scope: encounters that are not cancelled (active, preadmit, discharged). Rule as in applyAdtEvent: the mapping for
 * (facility code, point of care), else ("", point of care), else no department. One read of the mappings, one read
 * of the encounters in scope (optionally only one point of care), then one updateMany per target department for the
 * rows that differ, in one transaction.
 */
import type { TDb } from "../db";

export type TRemapOptions = {
  /** Only encounters at this point of care (PV1-3.1), e.g. the one whose mapping was edited. */
  pointOfCare?: string;
};

/** Bound on ids per updateMany (well under SQLite's and PostgreSQL's parameter limits). */
const CHUNK = 500;

/**
 * Recompute departments.
 * @param db - database client
 * @param options - pointOfCare to limit the work to one location
 * @returns how many encounters changed department
 */
export const remapEncounterDepartments = async (db: TDb, options: TRemapOptions = {}): Promise<{ updated: number }> =>
  db.$transaction(async (tx) => {
    const mappings = await tx.locationMapping.findMany({
      where: options.pointOfCare === undefined ? {} : { pointOfCare: options.pointOfCare },
      select: { facilityCode: true, pointOfCare: true, departmentId: true },
    });
    const byPlace = new Map(mappings.map((m) => [`${m.facilityCode}\u0000${m.pointOfCare}`, m.departmentId]));
    const encounters = await tx.encounter.findMany({
      where: {
        status: { not: "cancelled" },
        ...(options.pointOfCare === undefined ? {} : { pointOfCare: options.pointOfCare }),
      },
      select: { id: true, pointOfCare: true, departmentId: true, facility: { select: { code: true } } },
    });
    const moves = new Map<string | null, string[]>();
    for (const e of encounters) {
      const facilityCode = e.facility?.code ?? "";
      const target =
        e.pointOfCare === ""
          ? null
          : (byPlace.get(`${facilityCode}\u0000${e.pointOfCare}`) ?? byPlace.get(`\u0000${e.pointOfCare}`) ?? null);
      if (target !== e.departmentId) {
        moves.set(target, [...(moves.get(target) ?? []), e.id]);
      }
    }
    let updated = 0;
    for (const [departmentId, ids] of moves) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        updated += (await tx.encounter.updateMany({ where: { id: { in: chunk } }, data: { departmentId } })).count;
      }
    }

    return { updated };
  });
