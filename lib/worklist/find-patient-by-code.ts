/**
 * Wristband lookup: the content of a scanned (or wedge-typed) barcode / QR code → the encounter to open.
 * Accepted content: an MRN; an HL7 CX "MRN^^^ISSUER" (PID-3 as printed by many wristband systems, optionally with
 * more components after the issuer); or a visit number. Access is checked here: a code whose patient is outside the
 * user's departments answers exactly like an unknown code, so a scan reveals nothing.
 */
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { recordAuditEvent } from "../audit/record-audit-event";
import { AppError } from "../errors";
import { visibleEncounterWhere } from "./encounter-filters";

export type TCodeMatch = { encounterId: string; patientId: string };

/**
 * Parse wristband content into an identifier and an optional issuer.
 * @param code - scanned text
 */
export const parseWristbandCode = (code: string): { id: string; issuer: string } => {
  // Control characters (GS of GS1 payloads, CR/LF of wedge scanners) are not part of an identifier.
  // eslint-disable-next-line no-control-regex
  const clean = code.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  const parts = clean.split("^");

  return { id: (parts[0] ?? "").trim(), issuer: (parts[3] ?? "").split("&")[0]!.trim() };
};

const NOT_FOUND = "No patient of your departments has this wristband code.";

/**
 * The encounter to open for a wristband code: the patient's active encounter visible to the user (latest
 * admission first), else their latest discharged one; a visit number opens that visit.
 * @param db - database client
 * @param user - the caller
 * @param code - the scanned text (at most 200 characters)
 * @throws AppError not_found (unknown or not visible), conflict (an MRN without issuer that fits several patients)
 */
export const findPatientByCode = async (db: TDb, user: TSessionUser, code: string): Promise<TCodeMatch> => {
  const { id, issuer } = parseWristbandCode(code.slice(0, 200));
  if (!id) {
    throw new AppError("bad_request", "The code is empty.");
  }
  const patientMatch = issuer ? { mrn: id, issuer } : { mrn: id };
  const encounters = await db.encounter.findMany({
    where: {
      AND: [
        visibleEncounterWhere(user),
        { status: { in: ["active", "discharged"] } },
        {
          OR: [
            { patient: patientMatch },
            { patient: { aliases: { some: patientMatch } } },
            ...(issuer ? [] : [{ visitNumber: id }]),
          ],
        },
      ],
    },
    orderBy: [{ admittedAt: "desc" }, { updatedAt: "desc" }],
    select: { id: true, patientId: true, status: true, visitNumber: true },
    take: 50,
  });
  await recordAuditEvent(db, { action: "worklist.search", userId: user.id, subject: `wristband code: ${encounters.length} encounter(s)`, detail: encounters.map((e) => e.id).join(","), source: "scan", outcome: encounters.length ? 0 : 4 });
  if (encounters.length === 0) {
    throw new AppError("not_found", NOT_FOUND);
  }
  const byVisit = encounters.find((e) => e.visitNumber === id && !issuer);
  const patients = new Set(encounters.map((e) => e.patientId));
  if (!byVisit && patients.size > 1) {
    throw new AppError("conflict", "This code fits several patients. Search by name and birth date instead.");
  }
  const chosen = byVisit ?? encounters.find((e) => e.status === "active") ?? encounters[0]!;

  return { encounterId: chosen.id, patientId: chosen.patientId };
};
