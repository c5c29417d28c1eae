import crypto from "node:crypto";
import { recordAuditEvent } from "../audit/record-audit-event";
import { assertAdmin } from "../users/assert-admin";
import type { TDb } from "../db";
import { AppError } from "../errors";
import type { TSessionUser } from "./roles";

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

export type TApiTokenRow = {
  id: string;
  label: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  user: { id: string; email: string; name: string; role: string; active: boolean };
};

/**
 * Issue an API token for a user from the admin UI (admins only; audited). The token is returned once.
 * @param db - database client
 * @param actor - the caller
 * @param input - the owner's user id and a label
 */
export const issueApiToken = async (db: TDb, actor: TSessionUser, input: { userId: string; label: string }): Promise<{ token: string }> => {
  await assertAdmin(db, actor, "token.create");
  const label = input.label.trim();
  if (!label || label.length > 64) {
    throw new AppError("bad_request", "give the token a label (at most 64 characters), e.g. the system that will use it");
  }
  const owner = await db.user.findUnique({ where: { id: input.userId }, select: { id: true, active: true, email: true } });
  if (!owner?.active) {
    throw new AppError("bad_request", "the token's user does not exist or is deactivated");
  }
  const token = await createApiToken(db, owner.id, label);
  const row = await db.apiToken.findUniqueOrThrow({ where: { tokenHash: hashToken(token) }, select: { id: true } });
  await recordAuditEvent(db, { action: "token.create", userId: actor.id, subject: `token ${row.id}`, detail: `for ${owner.email}: ${label}` });

  return { token };
};

/**
 * Revoke a token (admins only; audited); a revoked token answers 401 from then on.
 * @param db - database client
 * @param actor - the caller
 * @param id - the token's id (never the token)
 */
export const revokeApiToken = async (db: TDb, actor: TSessionUser, id: string): Promise<void> => {
  await assertAdmin(db, actor, "token.revoke");
  const updated = await db.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  if (updated.count === 1) {
    await recordAuditEvent(db, { action: "token.revoke", userId: actor.id, subject: `token ${id}` });
  }
};

/**
 * Every API token (live first, then revoked), with its user and last use (admins only).
 * @param db - database client
 * @param actor - the caller
 */
export const listApiTokens = async (db: TDb, actor: TSessionUser): Promise<TApiTokenRow[]> => {
  await assertAdmin(db, actor, "tokens");
  const rows = await db.apiToken.findMany({
    include: { user: { select: { id: true, email: true, name: true, role: true, active: true } } },
    orderBy: [{ createdAt: "desc" }],
  });

  return rows
    .map(({ id, label, createdAt, lastUsedAt, revokedAt, user }) => ({ id, label, createdAt, lastUsedAt, revokedAt, user }))
    .sort((a, b) => Number(!!a.revokedAt) - Number(!!b.revokedAt));
};
