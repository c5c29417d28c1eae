import { getPageUser } from "@/lib/auth/get-page-user";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { getDb } from "@/lib/db";
import { findIdentityChanges } from "@/lib/worklist/find-identity-changes";
import { markResolved } from "./actions";

export const metadata = { title: "Identity changes – Encounter Capture" };

export default async function IdentityChangesPage({ searchParams }: { searchParams: Promise<{ all?: string }> }) {
  const user = await getPageUser(["admin"]);
  const { all } = await searchParams;
  const db = getDb();
  const changes = await findIdentityChanges(db, { unresolvedOnly: all !== "1" });
  await recordAuditEvent(db, { action: "patient.view", userId: user.id, subject: `identity changes (${changes.length})`, detail: changes.map((c) => c.to.patientId).join(","), source: "web" });

  return (
    <main className="mx-auto max-w-6xl space-y-4 px-4 py-6">
      <h1 className="text-2xl font-semibold">Images in the archive under a changed identity</h1>
      <p className="text-slate-600">A merge (A40/A34) or identifier change (A47, A06/A07/A35) moved these studies after they had been delivered: the archive still files them under the old identity until the imaging team corrects them there.</p>
      <p><a className="text-brand-700 underline" href={all === "1" ? "?" : "?all=1"}>{all === "1" ? "Show open only" : "Show resolved too"}</a></p>
      <div className="overflow-x-auto rounded-xl bg-white ring-1 ring-slate-200 focus-visible:outline-2 focus-visible:outline-sky-500" tabIndex={0} role="region" aria-label="Identity changes (scrolls sideways)">
        <table className="w-full text-left text-sm">
          <thead className="bg-slate-100"><tr><th className="p-2">When</th><th className="p-2">Kind</th><th className="p-2">In the archive as</th><th className="p-2">Now belongs to</th><th className="p-2">Study</th><th className="p-2">Images</th><th className="p-2" /></tr></thead>
          <tbody>
            {changes.map((c) => (
              <tr key={c.id} className="border-t border-slate-100 align-top">
                <td className="p-2 whitespace-nowrap">{c.createdAt.toLocaleString()}</td>
                <td className="p-2">{c.kind}</td>
                <td className="p-2">MRN {c.from.mrn} ({c.from.issuer}){c.from.visitNumber ? ` · visit ${c.from.visitNumber}` : ""}</td>
                <td className="p-2">{c.to.name} · MRN {c.to.mrn} ({c.to.issuer})</td>
                <td className="p-2"><span className="block">{c.study.description}</span><span className="font-mono text-xs">{c.study.studyInstanceUid}</span></td>
                <td className="p-2">{c.sopInstanceUids.length}</td>
                <td className="p-2">{c.resolvedAt ? `resolved ${c.resolvedAt.toLocaleDateString()}` : (
                  <form action={markResolved}><input type="hidden" name="id" value={c.id} /><button type="submit" className="min-h-11 rounded-lg border border-slate-300 px-3">Mark corrected</button></form>
                )}</td>
              </tr>
            ))}
            {changes.length === 0 ? <tr><td colSpan={7} className="p-3 text-slate-600">Nothing to correct.</td></tr> : null}
          </tbody>
        </table>
      </div>
    </main>
  );
}
