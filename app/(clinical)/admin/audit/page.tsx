import Link from "next/link";
import { AUDIT_EVENTS_PER_PAGE, findAuditEvents } from "@/lib/audit/find-audit-events";
import { getPageUser } from "@/lib/auth/get-page-user";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";

export const metadata = { title: "Audit log – Encounter Capture" };

type TSearch = { user?: string; patient?: string; action?: string; from?: string; to?: string; page?: string };

const ACTIONS = [
  ["", "any"],
  ["patient.view", "patient viewed"],
  ["worklist.search", "worklist searched"],
  ["capture.*", "captures"],
  ["delivery.*", "deliveries"],
  ["user.*", "users and sign-ins"],
  ["catalog.*", "catalog changes"],
  ["token.*", "API tokens"],
  ["audit.*", "audit log read"],
  ["hl7.*", "HL7 messages"],
  ["admin.denied", "refused admin access"],
] as const;
const OUTCOME: Record<number, string> = { 0: "success", 4: "minor failure", 8: "serious failure", 12: "major failure" };

export default async function AuditPage({ searchParams }: { searchParams: Promise<TSearch> }) {
  const actor = await getPageUser(["admin"]);
  const s = await searchParams;
  const filter = { user: s.user || undefined, patient: s.patient || undefined, action: s.action || undefined, from: s.from || undefined, to: s.to || undefined };
  let result: Awaited<ReturnType<typeof findAuditEvents>> | null = null;
  let error = "";
  try {
    result = await findAuditEvents(getDb(), actor, { ...filter, page: Number(s.page ?? 0) || 0 });
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== "bad_request") throw e;
    error = e.message;
  }
  const query = (extra: Record<string, string>) =>
    new URLSearchParams({ ...Object.fromEntries(Object.entries(filter).filter((e): e is [string, string] => !!e[1])), ...extra }).toString();
  const pages = result ? Math.max(1, Math.ceil(result.total / AUDIT_EVENTS_PER_PAGE)) : 1;
  const input = "h-11 rounded-lg border border-slate-400 bg-white px-3";
  const known = ACTIONS.some(([v]) => v === (s.action ?? ""));

  return (
    <main className="mx-auto max-w-6xl space-y-4 px-4 py-6">
      <Link href="/admin" className="inline-flex min-h-11 items-center text-brand-700 underline">← Administration</Link>
      <h1 className="text-2xl font-semibold">Audit log</h1>
      <p className="text-slate-700">Who viewed, captured, delivered or changed what, for which patient, when. Reading and exporting this log is recorded here too.</p>
      <form className="flex flex-wrap items-end gap-3 rounded-xl bg-white p-3 ring-1 ring-slate-200" aria-label="Filter the audit log">
        <label className="block"><span className="block text-sm font-medium">User e-mail</span><input name="user" defaultValue={s.user} className={`${input} w-52`} /></label>
        <label className="block"><span className="block text-sm font-medium">Patient MRN</span><input name="patient" defaultValue={s.patient} className={`${input} w-36`} /></label>
        <label className="block"><span className="block text-sm font-medium">Action</span>
          <select name="action" defaultValue={s.action ?? ""} className={input}>
            {ACTIONS.map(([v, l]) => <option key={v} value={v}>{l}{v && !v.endsWith("*") ? ` (${v})` : ""}</option>)}
            {known ? null : <option value={s.action}>{s.action}</option>}
          </select></label>
        <label className="block"><span className="block text-sm font-medium">From</span><input name="from" type="date" defaultValue={s.from} className={input} /></label>
        <label className="block"><span className="block text-sm font-medium">To</span><input name="to" type="date" defaultValue={s.to} className={input} /></label>
        <button type="submit" className="inline-flex min-h-11 items-center rounded-lg bg-brand-600 px-5 font-semibold text-white">Filter</button>
        <a href={`/admin/audit/export?${query({})}`} download className="inline-flex min-h-11 items-center rounded-lg bg-white px-4 font-semibold text-brand-700 ring-1 ring-brand-600">Export CSV</a>
      </form>
      {error ? <p role="alert" className="text-red-800">{error}</p> : null}
      {result ? (
        <>
          <p className="text-sm text-slate-700" role="status">{result.total} event{result.total === 1 ? "" : "s"}</p>
          <div className="overflow-x-auto rounded-xl bg-white ring-1 ring-slate-200 focus-visible:outline-2 focus-visible:outline-sky-500" tabIndex={0} role="region" aria-label="Audit events (scrolls sideways)">
            <table className="w-full text-left text-sm">
              <thead className="bg-slate-100 text-slate-700">
                <tr><th scope="col" className="p-2">When (UTC)</th><th scope="col" className="p-2">Action</th><th scope="col" className="p-2">User</th><th scope="col" className="p-2">Patient</th><th scope="col" className="p-2">What</th><th scope="col" className="p-2">Outcome</th></tr>
              </thead>
              <tbody>
                {result.rows.map((r) => (
                  <tr key={r.id} className="border-t border-slate-100 align-top">
                    <td className="p-2 whitespace-nowrap">{r.at.toISOString().replace("T", " ").slice(0, 19)}</td>
                    <td className="p-2 font-mono text-xs">{r.action}</td>
                    <td className="p-2">{r.user || <span className="text-slate-600">system</span>}</td>
                    <td className="p-2">{r.patient}</td>
                    <td className="p-2 text-xs">{r.subject}{r.detail ? <div className="text-slate-600">{r.detail}</div> : null}{r.source ? <div className="text-slate-600">from {r.source}</div> : null}</td>
                    <td className={`p-2 text-xs ${r.outcome ? "font-semibold text-red-800" : ""}`}>{OUTCOME[r.outcome] ?? r.outcome}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="flex items-center gap-3" aria-label="Pages">
            {result.page > 0 ? <Link href={`?${query({ page: String(result.page - 1) })}`} className="inline-flex min-h-11 items-center rounded-lg border px-4">Newer</Link> : null}
            <span className="text-sm">Page {result.page + 1} of {pages}</span>
            {result.page + 1 < pages ? <Link href={`?${query({ page: String(result.page + 1) })}`} className="inline-flex min-h-11 items-center rounded-lg border px-4">Older</Link> : null}
          </nav>
        </>
      ) : null}
    </main>
  );
}
