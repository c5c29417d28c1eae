import Link from "next/link";
import { getPageUser } from "@/lib/auth/get-page-user";
import { findDestinations } from "@/lib/forwarding/find-destinations";
import { getDb } from "@/lib/db";
import { DestinationForm } from "@/components/admin/destination-form";
import { TestDestinationButton } from "@/components/admin/test-destination-button";
import { toggleDestination } from "./actions";

export const metadata = { title: "Destinations – Encounter Capture" };

export default async function DestinationsPage() {
  await getPageUser(["admin"]);
  const destinations = await findDestinations(getDb());

  return (
    <main className="mx-auto max-w-5xl space-y-6 px-4 py-6">
      <h1 className="text-2xl font-semibold">Archive destinations</h1>
      <p className="text-slate-600">Every capture is delivered to each enabled destination: over DICOMweb STOW-RS (the app POSTs to <code>&lt;base URL&gt;/studies</code>) or DIMSE C-STORE (<code>dicom://CALLED_AE@host:port</code>, each file in its own transfer syntax).</p>
      <table className="w-full overflow-hidden rounded-xl bg-white text-left text-sm ring-1 ring-slate-200">
        <thead className="bg-slate-100"><tr><th className="p-3">Name</th><th className="p-3">Address (STOW-RS or C-STORE)</th><th className="p-3">Queue</th><th className="p-3">State</th></tr></thead>
        <tbody>
          {destinations.map((d) => (
            <tr key={d.id} className="border-t border-slate-100">
              <td className="p-3 font-medium"><Link href={`/admin/destinations/${d.id}`} className="text-brand-700 underline">{d.name}</Link></td>
              <td className="p-3 font-mono text-xs break-all">{d.url}</td>
              <td className="p-3">{d.queued} waiting · {d.stored} stored · {d.failed} failed</td>
              <td className="space-y-2 p-3">
                <form action={toggleDestination}>
                  <input type="hidden" name="id" value={d.id} />
                  <button type="submit" className="min-h-11 rounded-lg border border-slate-300 px-3">{d.enabled ? "Enabled – disable" : "Disabled – enable"}</button>
                </form>
                <TestDestinationButton id={d.id} name={d.name} />
              </td>
            </tr>
          ))}
          {destinations.length === 0 ? <tr><td colSpan={4} className="p-3 text-slate-600">No destination yet: captures wait until one is added.</td></tr> : null}
        </tbody>
      </table>
      <DestinationForm />
    </main>
  );
}
