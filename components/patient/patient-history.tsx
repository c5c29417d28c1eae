import type { THistoryStudy } from "@/lib/history/find-patient-history";

const STATUS: Record<string, { label: string; className: string }> = {
  queued: { label: "queued", className: "bg-slate-100 text-slate-800" },
  sending: { label: "sending", className: "bg-sky-100 text-sky-900" },
  stored: { label: "stored in archive", className: "bg-emerald-100 text-emerald-900" },
  failed: { label: "failed", className: "bg-red-100 text-red-900" },
};

const when = (iso: string): string => new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });

/**
 * Earlier captures of the patient (all encounters the user may see), newest first: thumbnail, procedure, date,
 * operator and the delivery state of each image (with the reason when it failed). Thumbnails have a fixed box, so
 * the page does not shift while they load; a sensitive study the user may not view shows a placeholder.
 */
export function PatientHistory({ studies }: { studies: THistoryStudy[] }) {
  return (
    <section aria-labelledby="history-title" className="mt-10" data-testid="patient-history">
      <h2 id="history-title" className="mb-3 text-xl font-semibold">Earlier captures of this patient</h2>
      {studies.length === 0 ? (
        <p className="rounded-xl bg-white p-4 text-slate-700 ring-1 ring-slate-200">No captures yet.</p>
      ) : (
        <ol className="space-y-4">
          {studies.map((s) => (
            <li key={s.id} className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200" data-testid="history-study">
              <p className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
                <strong className="text-lg">{s.procedure}</strong>
                <span className="text-slate-700">{when(s.createdAt)}</span>
                <span className="text-slate-700">by {s.operator}</span>
                <span className="text-sm text-slate-600">Visit {s.visitNumber}{s.thisEncounter ? " (this visit)" : ""}</span>
                {s.sensitive ? <span className="rounded-full bg-amber-100 px-2 py-0.5 text-sm font-medium text-amber-900">sensitive</span> : null}
              </p>
              <ul className="mt-3 flex flex-wrap gap-3" aria-label={`Images captured ${when(s.createdAt)}`}>
                {s.instances.map((i) => (
                  <li key={i.id} className="w-40">
                    {/* eslint-disable-next-line @next/next/no-img-element -- an authenticated API image, not a static asset */}
                    <img
                      src={`/api/v1/instances/${i.id}/thumbnail`}
                      alt={s.canView ? `${s.procedure}, ${i.kind} ${i.instanceNumber}` : "Sensitive image (restricted)"}
                      width={160}
                      height={120}
                      loading="lazy"
                      className="h-[120px] w-40 rounded-lg bg-slate-100 object-contain ring-1 ring-slate-200"
                    />
                    <p className="mt-1 text-sm">
                      <span className={`rounded-full px-2 py-0.5 font-medium ${STATUS[i.status]?.className ?? ""}`} data-testid="history-status">
                        {i.kind === "video" ? "Video · " : ""}{STATUS[i.status]?.label ?? i.status}
                      </span>
                    </p>
                    {i.status === "failed" && i.lastError ? <p className="mt-1 text-xs break-words text-red-800">{i.lastError}</p> : null}
                    {i.purged ? <p className="mt-1 text-xs text-slate-600">local copy removed</p> : null}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
