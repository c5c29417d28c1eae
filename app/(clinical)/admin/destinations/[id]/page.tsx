import Link from "next/link";
import { notFound } from "next/navigation";
import { getPageUser } from "@/lib/auth/get-page-user";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { getDestinationSettings } from "@/lib/forwarding/get-destination-settings";
import { getDestinationStatus } from "@/lib/forwarding/get-destination-status";
import { DestinationForm } from "@/components/admin/destination-form";
import { requeueAction } from "./actions";

export const metadata = { title: "Destination – Encounter Capture" };
export const dynamic = "force-dynamic";

const ago = (d: Date | null): string => {
  if (!d) return "nothing waiting";
  const minutes = Math.round((Date.now() - d.getTime()) / 60_000);
  return minutes < 1 ? "less than a minute" : minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
};

function ActionButton({ destinationId, action, jobId, label }: { destinationId: string; action: "resend" | "cancel"; jobId?: string; label: string }) {
  return (
    <form action={requeueAction}>
      <input type="hidden" name="destinationId" value={destinationId} />
      <input type="hidden" name="action" value={action} />
      {jobId ? <input type="hidden" name="jobId" value={jobId} /> : null}
      <button type="submit" className="min-h-11 rounded-lg border border-slate-300 bg-white px-3 text-sm">{label}</button>
    </form>
  );
}

export default async function DestinationPage({ params }: { params: Promise<{ id: string }> }) {
  await getPageUser(["admin"]);
  const { id } = await params;
  const s = await getDestinationStatus(getDb(), id).catch((error: unknown) => {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  });
  const settings = await getDestinationSettings(getDb(), id);

  return (
    <main className="mx-auto max-w-5xl space-y-6 px-4 py-6">
      <p><Link href="/admin/destinations" className="text-brand-700 underline">All destinations</Link></p>
      <h1 className="text-2xl font-semibold">{s.name}</h1>
      <p className="font-mono text-sm text-slate-600">{s.kind === "dimse" ? "C-STORE" : "STOW-RS"} · {s.url} · {s.enabled ? "enabled" : "disabled"}</p>
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" aria-label="Queue">
        {[
          ["Waiting", s.counts.queued + s.counts.sending],
          ["Oldest waiting", ago(s.oldestWaitingSince)],
          ["Stored / min (15 min)", s.storedPerMinute.toFixed(1)],
          ["MB/s (15 min)", (s.storedBytesPerSecond / 1e6).toFixed(2)],
          ["Stored", s.counts.stored],
          ["Failed", s.counts.failed],
          ["Sending now", s.counts.sending],
          ["Cancelled", s.counts.cancelled],
        ].map(([label, value]) => (
          <div key={String(label)} className="rounded-xl bg-white p-3 ring-1 ring-slate-200">
            <dt className="text-sm text-slate-600">{label}</dt>
            <dd className="text-xl font-semibold">{value}</dd>
          </div>
        ))}
      </dl>
      <div className="flex flex-wrap gap-2">
        <ActionButton destinationId={s.id} action="resend" label="Resend all failed" />
        <ActionButton destinationId={s.id} action="cancel" label="Cancel all waiting and failed" />
      </div>
      <section aria-labelledby="problems">
        <h2 id="problems" className="mb-2 text-lg font-semibold">Recent failures and retries</h2>
        {s.problems.length === 0 ? <p className="text-slate-600">None.</p> : (
          <table className="w-full rounded-xl bg-white text-left text-sm ring-1 ring-slate-200">
            <thead className="bg-slate-100"><tr><th className="p-3">SOP Instance UID</th><th className="p-3">State</th><th className="p-3">Attempts</th><th className="p-3">Reason</th><th className="p-3"></th></tr></thead>
            <tbody>
              {s.problems.map((p) => (
                <tr key={p.jobId} className="border-t border-slate-100">
                  <td className="p-3 font-mono text-xs">{p.sopInstanceUid}</td>
                  <td className="p-3">{p.status}</td>
                  <td className="p-3">{p.attempts}</td>
                  <td className="p-3">{p.lastError}</td>
                  <td className="flex gap-2 p-3">
                    {p.status === "failed" ? <ActionButton destinationId={s.id} action="resend" jobId={p.jobId} label="Resend" /> : null}
                    <ActionButton destinationId={s.id} action="cancel" jobId={p.jobId} label="Cancel" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <DestinationForm destination={settings} />
    </main>
  );
}
