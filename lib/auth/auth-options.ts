/**
 * next-auth (v4) configuration: credentials against the User table, JWT sessions carrying only the user id.
 * Every data path re-loads the user from the database (lib/auth/require-user.ts), so a deactivated user loses
 * access on their next request, whatever their token says.
 */
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import { recordAuditEvent } from "../audit/record-audit-event";
import { getDb } from "../db";
import { getEnv } from "../env";
import { verifyPassword } from "./hash-password";

// Without NEXTAUTH_URL, take the origin from the request (a tablet reaches the server by its LAN name).
if (!process.env.NEXTAUTH_URL && !process.env.AUTH_TRUST_HOST) {
  process.env.AUTH_TRUST_HOST = "true";
}

const ZCredentialsSchema = z.object({ email: z.string().trim().toLowerCase().email(), password: z.string().min(1) });

/** Sessions end after 12 h (a shared ward workstation; reliability-matrix §3.2). */
const SESSION_MAX_AGE_S = 12 * 60 * 60;

export const authOptions: NextAuthOptions = {
  secret: getEnv().authSecret,
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
  pages: { signIn: "/login" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      authorize: async (raw) => {
        const parsed = ZCredentialsSchema.safeParse(raw);
        if (!parsed.success) {
          return null;
        }
        const db = getDb();
        const user = await db.user.findUnique({ where: { email: parsed.data.email } });
        const ok = !!user && user.active && (await verifyPassword(parsed.data.password, user.passwordHash));
        await recordAuditEvent(db, {
          action: ok ? "user.login" : "user.login-failed",
          outcome: ok ? 0 : 4,
          userId: user?.id ?? null,
          subject: ok ? "" : "credentials rejected",
          source: "web",
        });

        return ok && user ? { id: user.id, email: user.email, name: user.name } : null;
      },
    }),
  ],
  callbacks: {
    jwt: ({ token, user }) => {
      if (user) {
        token.sub = user.id;
      }

      return token;
    },
    session: ({ session, token }) => {
      return { ...session, userId: token.sub };
    },
  },
};
