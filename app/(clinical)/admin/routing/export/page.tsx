import Link from "next/link";
import { getPageUser } from "@/lib/auth/get-page-user";
import { getDb } from "@/lib/db";
import { findRoutingOptions } from "@/lib/forwarding/find-routing-options";
import { RoutingRedeliverForm } from "@/components/admin/routing-redeliver-form";
import { FIELD_CLASS } from "@/components/admin/routing-fields";

export const metadata = { title: "Divestiture – Encounter Capture" };

export default async function RoutingExportPage() {
  const user = await getPageUser(["admin"]);
  const options = await findRoutingOptions(getDb(), user);
  const scopes = [
    ...options.facilities.map((f) => ({ value: `facility:${f.id}`, label: `Facility ${f.code} – ${f.name}` })),
    ...options.rules.map((r) => ({ value: `rule:${r.id}`, label: `Rule ${r.name}${r.active ? "" : " (inactive)"}` })),
  ];

  return (
    <main className="mx-auto max-w-5xl space-y-6 px-4 py-6">
      <p><Link href="/admin/routing" className="text-brand-700 underline">← Routing</Link></p>
      <h1 className="text-2xl font-semibold">Divestiture: export and re-deliver</h1>
      <p className="text-slate-700">
        A facility is everything captured in its encounters; a rule is everything any of its versions routed. The list holds patient identifiers:
        downloading it is recorded in the audit trail. Re-delivered objects go as captured (no bucket identity); instances whose local copy was purged cannot be re-sent and are counted.
      </p>
      <section aria-labelledby="export-title" className="space-y-3 rounded-xl bg-white p-4 ring-1 ring-slate-200">
        <h2 id="export-title" className="text-lg font-semibold">Export the list (CSV)</h2>
        <div className="grid gap-3 lg:grid-cols-2">
          <form method="get" action="/admin/routing/export/csv" className="flex items-end gap-2">
            <label className="block grow" htmlFor="export-facility">
              <span className="mb-1 block text-sm font-medium">Facility</span>
              <select id="export-facility" name="facilityId" required className={FIELD_CLASS}>
                {options.facilities.map((f) => <option key={f.id} value={f.id}>{f.code} – {f.name}</option>)}
              </select>
            </label>
            <button type="submit" className="h-11 rounded-lg bg-brand-600 px-4 font-semibold text-white">Download</button>
          </form>
          <form method="get" action="/admin/routing/export/csv" className="flex items-end gap-2">
            <label className="block grow" htmlFor="export-rule">
              <span className="mb-1 block text-sm font-medium">Routing rule</span>
              <select id="export-rule" name="ruleId" required className={FIELD_CLASS}>
                {options.rules.map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
              </select>
            </label>
            <button type="submit" disabled={options.rules.length === 0} className="h-11 rounded-lg bg-brand-600 px-4 font-semibold text-white disabled:opacity-60">Download</button>
          </form>
        </div>
      </section>
      <RoutingRedeliverForm scopes={scopes} destinations={options.destinations.map((d) => ({ value: d.id, label: `${d.name}${d.enabled ? "" : " (disabled)"}` }))} />
    </main>
  );
}
