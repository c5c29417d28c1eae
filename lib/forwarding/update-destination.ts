import type { TDb } from "../db";
import { AppError } from "../errors";
import { toDestinationColumns, type TDestinationInput } from "./create-destination";

/**
 * Change a destination's settings (name, address, enabled, auth, CA, parallelism limit). An empty `authSecret`
 * keeps the stored secret; switching to `none` clears it. Jobs already queued keep going to this destination;
 * the forwarder picks the new settings up within ~10 s (run-forwarder.ts).
 * @param db - database client
 * @param id - destination id
 * @param input - the new settings
 */
export const updateDestination = async (db: TDb, id: string, input: TDestinationInput): Promise<void> => {
  const { authSecret, ...columns } = toDestinationColumns(input);
  const existing = await db.destination.findUnique({ where: { id }, select: { authSecret: true } });
  if (!existing) {
    throw new AppError("not_found", "no such destination");
  }
  if (columns.authType !== "none" && !authSecret && !existing.authSecret) {
    throw new AppError("bad_request", `${columns.authType} authentication needs a ${columns.authType === "basic" ? "password" : "token"}`);
  }
  const clash = await db.destination.findFirst({ where: { name: columns.name, NOT: { id } }, select: { id: true } });
  if (clash) {
    throw new AppError("bad_request", `another destination is already called ${columns.name}`);
  }
  await db.destination.update({
    where: { id },
    data: { ...columns, ...(authSecret || columns.authType === "none" ? { authSecret } : {}) },
  });
};
