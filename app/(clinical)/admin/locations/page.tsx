import { getPageUser } from "@/lib/auth/get-page-user";
import { getDb } from "@/lib/db";
import { findLocationMappings } from "@/lib/worklist/find-location-mappings";
import { MappingForm } from "@/components/admin/mapping-form";

export const metadata = { title: "Locations – Encounter Capture" };

export default async function LocationsPage() {
  await getPageUser(["admin"]);
  const db = getDb();
  const [{ mappings, unmapped }, departments] = await Promise.all([findLocationMappings(db), db.department.findMany({ orderBy: { code: "asc" } })]);
  const codes = departments.map((d) => ({ code: d.code, name: d.name }));

  return (
    <main className="mx-auto max-w-5xl space-y-6 px-4 py-6">
      <h1 className="text-2xl font-semibold">Locations → departments</h1>
      <p className="text-slate-600">An encounter appears on a department&apos;s worklist when its point of care (PV1-3.1) maps to that department. A mapping for one facility wins over one for any facility.</p>
      <table className="w-full rounded-xl bg-white text-left text-sm ring-1 ring-slate-200">
        <thead className="bg-slate-100"><tr><th className="p-3">Point of care</th><th className="p-3">Facility</th><th className="p-3">Department</th></tr></thead>
        <tbody>
          {mappings.map((m) => (
            <tr key={m.id} className="border-t border-slate-100"><td className="p-3 font-mono">{m.pointOfCare}</td><td className="p-3">{m.facilityCode || "any"}</td><td className="p-3">{m.department}</td></tr>
          ))}
        </tbody>
      </table>
      {unmapped.length > 0 ? (
        <section aria-label="Unmapped locations" className="rounded-xl bg-amber-50 p-4 ring-1 ring-amber-200">
          <h2 className="font-semibold">Not on any worklist</h2>
          <ul className="mt-2 text-sm">{unmapped.map((u) => <li key={u.pointOfCare}><span className="font-mono">{u.pointOfCare || "(empty)"}</span>: {u.encounters} encounter(s)</li>)}</ul>
        </section>
      ) : null}
      <MappingForm departments={codes} />
    </main>
  );
}
