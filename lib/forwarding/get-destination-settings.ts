import type { TDb } from "../db";
import { AppError } from "../errors";

/** A destination's settings for the edit form: everything but the secret, which is never shown back. */
export type TDestinationSettings = {
  id: string;
  name: string;
  kind: string;
  url: string;
  enabled: boolean;
  authType: string;
  authUsername: string;
  /** A password or token is stored. */
  hasSecret: boolean;
  caCertPem: string;
  maxParallel: number;
};

/**
 * @param db - database client
 * @param id - destination id
 */
export const getDestinationSettings = async (db: TDb, id: string): Promise<TDestinationSettings> => {
  const d = await db.destination.findUnique({ where: { id } });
  if (!d) {
    throw new AppError("not_found", "no such destination");
  }

  return {
    id: d.id, name: d.name, kind: d.kind, url: d.url, enabled: d.enabled, authType: d.authType, authUsername: d.authUsername,
    hasSecret: d.authSecret !== "", caCertPem: d.caCertPem, maxParallel: d.maxParallel,
  };
};
