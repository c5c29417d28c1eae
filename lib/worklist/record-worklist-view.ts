import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { TEncounterSummary } from "./find-encounters";

const REPEAT_WINDOW_MS = 5 * 60_000;

/**
 * Audit that a user was shown these encounters (patients) in a worklist. The worklist refreshes itself, so the
 * same user seeing the same list again within 5 minutes is not recorded twice.
 * @param db - database client
 * @param user - who looked
 * @param encounters - what was shown
 * @param source - "web" or "api"
 */
export const recordWorklistView = async (db: TDb, user: TSessionUser, encounters: TEncounterSummary[], source: string): Promise<void> => {
  const detail = encounters.map((e) => e.id).join(",");
  const seen = await db.auditEvent.findFirst({
    where: { action: "worklist.search", userId: user.id, detail, source, at: { gte: new Date(Date.now() - REPEAT_WINDOW_MS) } },
    select: { id: true },
  });
  if (!seen) {
    await recordAuditEvent(db, { action: "worklist.search", userId: user.id, subject: `${encounters.length} encounter(s)`, detail, source });
  }
};
