import Link from "next/link";
import type { TEncounterSummary } from "@/lib/worklist/find-encounters";

const CLASS_LABEL: Record<string, string> = { I: "Inpatient", O: "Outpatient", E: "Emergency", P: "Pre-admit", R: "Recurring", B: "Obstetrics" };

function EncounterRow({ e }: { e: TEncounterSummary }) {
  return (
    <li>
      <Link
        href={`/encounters/${e.id}`}
        className="flex min-h-16 flex-wrap items-center gap-x-6 gap-y-1 rounded-xl bg-white px-5 py-3 shadow-sm ring-1 ring-slate-200 hover:ring-brand-600 focus:outline-2 focus:outline-brand-600"
      >
        <span className="min-w-56 flex-1">
          <span className="block text-lg font-semibold">{e.patient.name}</span>
          <span className="block text-sm text-slate-700">
            Born {e.patient.birthDate || "unknown"} · {e.patient.sex || "–"} · MRN {e.patient.mrn}
          </span>
        </span>
        <span className="text-sm text-slate-700">
          <span className="block">Visit {e.visitNumber}</span>
          <span className="block">{e.location || e.facility}{e.department ? ` · ${e.department}` : ""}</span>
        </span>
        <span className={`rounded-full px-3 py-1 text-sm font-medium ${e.status === "active" ? "bg-emerald-100 text-emerald-900" : "bg-amber-100 text-amber-900"}`}>
          {CLASS_LABEL[e.patientClass] ?? e.patientClass} · {e.status}
        </span>
      </Link>
    </li>
  );
}

/** The worklist rows: patients this user worked with recently first ("Recent"), then everyone else. */
export function EncounterList({ encounters, query }: { encounters: TEncounterSummary[]; query: string }) {
  if (encounters.length === 0) {
    return (
      <p className="rounded-xl bg-white p-6 text-slate-700 ring-1 ring-slate-200">
        {query ? `No patient on your worklist matches “${query}”.` : "No encounters match. Patients appear here when the hospital registers them."}
      </p>
    );
  }
  const recent = encounters.filter((e) => e.recent);
  const rest = encounters.filter((e) => !e.recent);

  return (
    <>
      {recent.length > 0 ? (
        <section aria-labelledby="recent-title" className="mb-6">
          <h2 id="recent-title" className="mb-2 text-sm font-semibold tracking-wide text-slate-700 uppercase">Recent</h2>
          <ul className="space-y-2" aria-label="Recent patients">
            {recent.map((e) => <EncounterRow key={e.id} e={e} />)}
          </ul>
        </section>
      ) : null}
      {rest.length > 0 ? (
        <section aria-labelledby="all-title">
          {recent.length > 0 ? <h2 id="all-title" className="mb-2 text-sm font-semibold tracking-wide text-slate-700 uppercase">All patients</h2> : null}
          <ul className="space-y-2" aria-label="Encounters">
            {rest.map((e) => <EncounterRow key={e.id} e={e} />)}
          </ul>
        </section>
      ) : null}
    </>
  );
}
