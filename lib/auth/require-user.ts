/**
 * The authorisation gate of every data path (route handlers, pages, server actions): a bearer API token or the
 * next-auth session, re-checked against the database. Middleware/proxy redirects are only a convenience.
 */
import { getServerSession } from "next-auth";
import { getDb } from "../db";
import { AppError } from "../errors";
import { authOptions } from "./auth-options";
import { findTokenUserId } from "./api-tokens";
import { loadUser } from "./load-user";
import type { TRole, TSessionUser } from "./roles";

/**
 * The caller, or an AppError("unauthorized"/"forbidden").
 * @param request - the incoming request (for the Authorization header); omit in server components/actions
 * @param roles - roles allowed; all when omitted
 */
export const requireUser = async (request?: Request, roles?: TRole[]): Promise<TSessionUser> => {
  const db = getDb();
  let user: TSessionUser | null = null;
  const header = request?.headers.get("authorization") ?? "";
  if (/^bearer\s+/i.test(header)) {
    const userId = await findTokenUserId(db, header.replace(/^bearer\s+/i, "").trim());
    user = userId ? await loadUser(db, { id: userId }) : null;
    if (!user) {
      throw new AppError("unauthorized", "invalid or revoked API token");
    }
  } else {
    const session = (await getServerSession(authOptions)) as { userId?: string } | null;
    user = session?.userId ? await loadUser(db, { id: session.userId }) : null;
    if (!user) {
      throw new AppError("unauthorized", "sign in required");
    }
  }
  if (roles && !roles.includes(user.role)) {
    throw new AppError("forbidden", `this needs the ${roles.join(" or ")} role`);
  }

  return user;
};
