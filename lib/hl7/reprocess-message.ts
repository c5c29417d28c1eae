import type { TDb } from "../db";
import { AppError } from "../errors";
import { handleInbound } from "./handle-inbound";

/**
 * Run a stored message through intake again (an admin fixed the cause of its failure, e.g. a missing mapping).
 * Only failed messages may be reprocessed: a processed one would be answered as a duplicate anyway.
 * The message text is re-encoded in the character set its MSH-18 declares, as the sender would have sent it.
 * @param db - database client
 * @param id - Hl7Message id
 * @returns the new ACK code and text
 */
export const reprocessMessage = async (db: TDb, id: string): Promise<{ ackCode: string; ack: string }> => {
  const message = await db.hl7Message.findUnique({ where: { id } });
  if (!message) {
    throw new AppError("not_found", "message not found");
  }
  if (message.status === "processed") {
    throw new AppError("conflict", "this message was processed already");
  }
  const msh = message.raw.split(/\r|\n/, 1)[0] ?? "";
  // MSH-18 (first repetition): with MSH-1 being the separator, field n is element n - 1 of the split line.
  const charset = (msh.split(msh.charAt(3) || "|")[17] ?? "").split("~")[0]!.toUpperCase();
  const encoding: BufferEncoding = charset === "8859/1" || charset === "ASCII" ? "latin1" : "utf8";
  const ack = (await handleInbound(db, Buffer.from(message.raw, encoding), { source: "reprocess" })).toString(encoding);
  const ackCode = /\rMSA\|([A-Z]{2})/.exec(ack)?.[1] ?? "";

  return { ackCode, ack };
};
