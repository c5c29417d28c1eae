/**
 * The imaging team has corrected the archive for an IdentityChange (or reopens it): sets / clears resolvedAt.
 * Callers check that the user is an admin (and audit it).
 */
import type { TDb } from "../db";

/**
 * Mark an identity change resolved (the archive has been corrected), or open again with `resolved: false`.
 * @param db - database client
 * @param id - IdentityChange id
 * @param resolved - true to resolve (default), false to reopen
 * @returns whether a row was changed
 */
export const resolveIdentityChange = async (db: TDb, id: string, resolved = true): Promise<boolean> => {
  const { count } = await db.identityChange.updateMany({ where: { id }, data: { resolvedAt: resolved ? new Date() : null } });

  return count === 1;
};
