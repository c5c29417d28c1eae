import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { AppError } from "../errors";
import { visibleEncounterWhere } from "./find-encounters";

/**
 * One encounter with its patient and facility, if the user may see it. An encounter outside the user's
 * departments answers "not found", so its existence is not revealed.
 * @param db - database client
 * @param user - the caller
 * @param id - encounter id
 */
export const getEncounter = async (db: TDb, user: TSessionUser, id: string) => {
  const encounter = await db.encounter.findFirst({
    where: { AND: [{ id }, visibleEncounterWhere(user)] },
    include: { patient: true, facility: true, department: true },
  });
  if (!encounter) {
    throw new AppError("not_found", "encounter not found");
  }

  return encounter;
};
