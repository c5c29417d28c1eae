import type { TDb } from "../db";

export type TMessageFilter = {
  /** e.g. "ADT^A08" or "ADT" */
  type?: string;
  /** processed | error | rejected */
  status?: string;
  mrn?: string;
  /** inclusive, YYYY-MM-DD (server time) */
  from?: string;
  to?: string;
  page?: number;
};

export const MESSAGES_PER_PAGE = 50;

/**
 * The inbound HL7 message log for the admin page, newest first.
 * @param db - database client
 * @param filter - message type, status, patient MRN, date range, page (0-based)
 */
export const findMessages = async (db: TDb, filter: TMessageFilter) => {
  const [messageType, triggerEvent] = (filter.type ?? "").toUpperCase().split("^");
  const day = (s: string | undefined, end: boolean): Date | undefined =>
    s && /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(`${s}T${end ? "23:59:59.999" : "00:00:00"}`) : undefined;
  const from = day(filter.from, false);
  const to = day(filter.to, true);
  const patients = filter.mrn ? await db.patient.findMany({ where: { mrn: filter.mrn.trim() }, select: { id: true } }) : null;
  const where = {
    ...(messageType ? { messageType } : {}),
    ...(triggerEvent ? { triggerEvent } : {}),
    ...(filter.status ? { status: filter.status } : {}),
    ...(patients ? { patientId: { in: patients.map((p) => p.id) } } : {}),
    ...(from || to ? { receivedAt: { ...(from ? { gte: from } : {}), ...(to ? { lte: to } : {}) } } : {}),
  };
  const page = Math.max(0, filter.page ?? 0);
  const [total, rows] = await Promise.all([
    db.hl7Message.count({ where }),
    db.hl7Message.findMany({
      where,
      orderBy: { receivedAt: "desc" },
      skip: page * MESSAGES_PER_PAGE,
      take: MESSAGES_PER_PAGE,
      select: {
        id: true, receivedAt: true, sendingApp: true, sendingFacility: true, controlId: true,
        messageType: true, triggerEvent: true, version: true, status: true, ackCode: true, error: true,
      },
    }),
  ]);

  return { total, page, rows };
};
