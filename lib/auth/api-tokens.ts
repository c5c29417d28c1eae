import crypto from "node:crypto";
import type { TDb } from "../db";

const hashToken = (token: string): string => crypto.createHash("sha256").update(token).digest("hex");

/**
 * Create a bearer API token for a user. The token is returned once; only its SHA-256 is stored.
 * @param db - database client
 * @param userId - owner
 * @param label - free text shown to admins
 */
export const createApiToken = async (db: TDb, userId: string, label = ""): Promise<string> => {
  const token = `ect_${crypto.randomBytes(32).toString("base64url")}`;
  await db.apiToken.create({ data: { userId, tokenHash: hashToken(token), label } });

  return token;
};

/**
 * The user id a bearer token belongs to, or null when unknown or revoked.
 * @param db - database client
 * @param token - the presented token
 */
export const findTokenUserId = async (db: TDb, token: string): Promise<string | null> => {
  const row = await db.apiToken.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!row || row.revokedAt) {
    return null;
  }
  await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => {});

  return row.userId;
};
