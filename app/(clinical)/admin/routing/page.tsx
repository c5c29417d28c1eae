import Link from "next/link";
import { getPageUser } from "@/lib/auth/get-page-user";
import { getDb } from "@/lib/db";
import { findRoutingOptions } from "@/lib/forwarding/find-routing-options";
import { findRoutingRules } from "@/lib/forwarding/find-routing-rules";
import { findUnroutedInstances } from "@/lib/forwarding/find-unrouted-instances";
import { RoutingPreviewForm } from "@/components/admin/routing-preview-form";
import { RoutingRuleForm } from "@/components/admin/routing-rule-form";
import { RoutingRuleTable } from "@/components/admin/routing-rule-table";
import { routeUnroutedAction } from "./actions";

export const metadata = { title: "Routing – Encounter Capture" };

export default async function RoutingPage() {
  const user = await getPageUser(["admin"]);
  const db = getDb();
  const [rules, options, unrouted] = await Promise.all([findRoutingRules(db, user), findRoutingOptions(db, user), findUnroutedInstances(db, user)]);

  return (
    <main className="mx-auto max-w-6xl space-y-6 px-4 py-6">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="mr-auto text-2xl font-semibold">Routing (buckets)</h1>
        <Link href="/admin/routing/export" className="inline-flex min-h-11 items-center rounded-lg border border-slate-300 bg-white px-4 font-medium">Divestiture: export / re-deliver</Link>
      </div>
      <p className="max-w-4xl text-slate-700">
        A capture whose catalog item names a bucket goes only to that (active) rule. Otherwise every active rule whose conditions all hold
        applies, top to bottom; when two rules send to the same destination, the upper one wins. With no active rule at all, every enabled
        destination receives every capture. When rules exist but none matches, the capture is <strong>unrouted</strong> and listed below.
        Each save makes a new version; queued deliveries keep the version that routed them.
      </p>
      <RoutingRuleTable rules={rules} options={options} />
      <RoutingPreviewForm options={options} />
      <section aria-labelledby="unrouted-title" className="space-y-3 rounded-xl bg-white p-4 ring-1 ring-slate-200">
        <div className="flex flex-wrap items-center gap-3">
          <h2 id="unrouted-title" className="mr-auto text-lg font-semibold">Unrouted captures: <span data-testid="unrouted-count">{unrouted.count}</span></h2>
          {unrouted.count > 0 ? (
            <form action={routeUnroutedAction}>
              <button type="submit" className="h-11 rounded-lg border border-slate-300 px-4 font-medium">Route them again with the current rules</button>
            </form>
          ) : null}
        </div>
        {unrouted.count === 0 ? <p className="text-slate-600">Every capture has at least one delivery.</p> : (
          <div className="overflow-x-auto focus-visible:outline-2 focus-visible:outline-sky-500" tabIndex={0} role="region" aria-label="Captures without a delivery (scrolls sideways)">
            <table className="w-full text-left text-sm">
              <thead className="bg-slate-100"><tr><th className="p-2">Captured</th><th className="p-2">Facility</th><th className="p-2">Department</th><th className="p-2">Catalog item</th><th className="p-2">Modality</th><th className="p-2">SOP Instance UID</th></tr></thead>
              <tbody>
                {unrouted.rows.map((r) => (
                  <tr key={r.id} className="border-t border-slate-100">
                    <td className="p-2">{r.createdAt.toISOString().slice(0, 16).replace("T", " ")}</td>
                    <td className="p-2">{r.series.study.encounter.facility?.code ?? "–"}</td>
                    <td className="p-2">{r.series.study.catalogItem.department.code}</td>
                    <td className="p-2">{r.series.study.catalogItem.code}</td>
                    <td className="p-2">{r.series.modality}</td>
                    <td className="p-2 font-mono text-xs">{r.sopInstanceUid}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {unrouted.count > unrouted.rows.length ? <p className="mt-2 text-sm text-slate-600">Showing the newest {unrouted.rows.length}.</p> : null}
          </div>
        )}
      </section>
      <RoutingRuleForm options={options} />
    </main>
  );
}
