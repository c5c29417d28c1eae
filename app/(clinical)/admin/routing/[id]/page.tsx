import Link from "next/link";
import { notFound } from "next/navigation";
import { getPageUser } from "@/lib/auth/get-page-user";
import { getDb } from "@/lib/db";
import { findRoutingOptions } from "@/lib/forwarding/find-routing-options";
import { findRoutingRules } from "@/lib/forwarding/find-routing-rules";
import { RoutingRuleForm } from "@/components/admin/routing-rule-form";
import { conditionsText, identityText } from "@/components/admin/routing-rule-table";

export const metadata = { title: "Routing rule – Encounter Capture" };

export default async function RoutingRulePage({ params }: { params: Promise<{ id: string }> }) {
  const user = await getPageUser(["admin"]);
  const { id } = await params;
  const db = getDb();
  const [rules, options] = await Promise.all([findRoutingRules(db, user), findRoutingOptions(db, user)]);
  const rule = rules.find((r) => r.id === id);
  if (!rule || !rule.current) {
    notFound();
  }
  const v = rule.current;

  return (
    <main className="mx-auto max-w-6xl space-y-6 px-4 py-6">
      <p><Link href="/admin/routing" className="text-brand-700 underline">← Routing</Link></p>
      <h1 className="text-2xl font-semibold">{rule.name} <span className="text-base font-normal text-slate-600">({rule.active ? "active" : "inactive"}, version {rule.currentVersion})</span></h1>
      <RoutingRuleForm
        options={options}
        values={{
          id: rule.id, version: rule.currentVersion, name: rule.name, facilityCode: v.facilityCode, departmentCode: v.departmentCode,
          catalogItemId: v.catalogItemId, modality: v.modality, sopClassUid: v.sopClassUid, issuerOfPatientId: v.issuerOfPatientId,
          institutionName: v.institutionName, institutionDepartmentName: v.institutionDepartmentName, sourceSystemCode: v.sourceSystemCode,
          destinationIds: v.targets.map((t) => t.destination.id),
        }}
      />
      <section id="history" aria-labelledby="history-title" className="rounded-xl bg-white p-4 ring-1 ring-slate-200">
        <h2 id="history-title" className="mb-2 text-lg font-semibold">Version history</h2>
        <table className="w-full text-left text-sm">
          <thead className="bg-slate-100"><tr><th className="p-2">Version</th><th className="p-2">Saved</th><th className="p-2">Conditions</th><th className="p-2">Destinations</th><th className="p-2">Identity</th><th className="p-2">Deliveries</th></tr></thead>
          <tbody>
            {rule.versions.map((x) => (
              <tr key={x.id} className="border-t border-slate-100 align-top">
                <td className="p-2 font-medium">v{x.version}{x.version === rule.currentVersion ? " (current)" : ""}</td>
                <td className="p-2">{x.createdAt.toISOString().slice(0, 16).replace("T", " ")} UTC</td>
                <td className="p-2">{conditionsText(x, options)}</td>
                <td className="p-2">{x.targets.map((t) => t.destination.name).join(", ")}</td>
                <td className="p-2">{identityText(x)}</td>
                <td className="p-2">{x._count.deliveries}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </main>
  );
}
