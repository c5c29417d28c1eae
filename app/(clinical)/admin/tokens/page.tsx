import Link from "next/link";
import { listApiTokens } from "@/lib/auth/api-tokens";
import { getPageUser } from "@/lib/auth/get-page-user";
import { getDb } from "@/lib/db";
import { findUsers } from "@/lib/users/find-users";
import { TokenForm } from "@/components/admin/token-form";
import { TokenRevokeButton } from "@/components/admin/token-revoke-button";

export const metadata = { title: "API tokens – Encounter Capture" };

const when = (d: Date | null): string => (d ? `${d.toISOString().replace("T", " ").slice(0, 16)} UTC` : "never");

export default async function TokensPage() {
  const actor = await getPageUser(["admin"]);
  const db = getDb();
  const [tokens, users] = await Promise.all([listApiTokens(db, actor), findUsers(db, actor)]);

  return (
    <main className="mx-auto max-w-6xl space-y-6 px-4 py-6">
      <Link href="/admin" className="inline-flex min-h-11 items-center text-brand-700 underline">← Administration</Link>
      <h1 className="text-2xl font-semibold">API tokens</h1>
      <p className="text-slate-700">
        A token lets another system call <code>/api/v1</code> as a user (<code>Authorization: Bearer …</code>), with that user&apos;s role and
        departments. Only a hash is stored: the token is shown once, when it is created.
      </p>
      <TokenForm users={users.filter((u) => u.active).map((u) => ({ id: u.id, email: u.email, role: u.role }))} />
      <div className="overflow-x-auto rounded-xl bg-white ring-1 ring-slate-200">
        <table className="w-full text-left text-sm">
          <thead className="bg-slate-100 text-slate-700">
            <tr><th scope="col" className="p-3">Label</th><th scope="col" className="p-3">User</th><th scope="col" className="p-3">Created</th><th scope="col" className="p-3">Last used</th><th scope="col" className="p-3">Status</th><th scope="col" className="p-3"><span className="sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} className={`border-t border-slate-100 ${t.revokedAt ? "text-slate-600" : ""}`}>
                <td className="p-3 font-medium">{t.label || "—"}</td>
                <td className="p-3">{t.user.email}{t.user.active ? "" : " (deactivated)"}</td>
                <td className="p-3 whitespace-nowrap">{when(t.createdAt)}</td>
                <td className="p-3 whitespace-nowrap">{when(t.lastUsedAt)}</td>
                <td className="p-3">{t.revokedAt ? `revoked ${when(t.revokedAt)}` : <span className="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-900">Active</span>}</td>
                <td className="p-3">{t.revokedAt ? null : <TokenRevokeButton id={t.id} label={t.label} />}</td>
              </tr>
            ))}
            {tokens.length === 0 ? <tr><td colSpan={6} className="p-3 text-slate-600">No tokens yet.</td></tr> : null}
          </tbody>
        </table>
      </div>
    </main>
  );
}
