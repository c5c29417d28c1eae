import Link from "next/link";
import type { TEncounterSummary } from "@/lib/worklist/find-encounters";

const CLASS_LABEL: Record<string, string> = { I: "Inpatient", O: "Outpatient", E: "Emergency", P: "Pre-admit", R: "Recurring", B: "Obstetrics" };

export function EncounterList({ encounters, query }: { encounters: TEncounterSummary[]; query: string }) {
  if (encounters.length === 0) {
    return (
      <p className="rounded-xl bg-white p-6 text-slate-600 ring-1 ring-slate-200">
        {query ? `No patient on your worklist matches “${query}”.` : "No encounters for your departments yet. Patients appear here when the hospital registers them."}
      </p>
    );
  }

  return (
    <ul className="space-y-3" aria-label="Encounters">
      {encounters.map((e) => (
        <li key={e.id}>
          <Link
            href={`/encounters/${e.id}`}
            className="flex min-h-20 flex-wrap items-center gap-x-6 gap-y-1 rounded-xl bg-white px-5 py-4 shadow-sm ring-1 ring-slate-200 hover:ring-brand-600 focus:outline-2 focus:outline-brand-600"
          >
            <span className="min-w-56 flex-1">
              <span className="block text-lg font-semibold">{e.patient.name}</span>
              <span className="block text-sm text-slate-600">
                Born {e.patient.birthDate || "unknown"} · {e.patient.sex || "–"} · MRN {e.patient.mrn}
              </span>
            </span>
            <span className="text-sm text-slate-700">
              <span className="block">Visit {e.visitNumber}</span>
              <span className="block">{e.location || e.facility}</span>
            </span>
            <span className={`rounded-full px-3 py-1 text-sm font-medium ${e.status === "active" ? "bg-emerald-100 text-emerald-800" : "bg-amber-100 text-amber-800"}`}>
              {CLASS_LABEL[e.patientClass] ?? e.patientClass} · {e.status}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
