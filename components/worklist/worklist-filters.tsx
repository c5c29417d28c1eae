"use client";

import type { TWorklistOptions } from "@/lib/worklist/find-worklist-options";

export type TFilterValues = { department: string; location: string; status: string; from: string; to: string };

const FIELD = "h-12 w-full rounded-xl border border-slate-400 bg-white px-3 text-base focus:outline-2 focus:outline-brand-600";

/** Department switcher (for users with several), location, status and date window. */
export function WorklistFilters({ options, values, onChange }: { options: TWorklistOptions; values: TFilterValues; onChange: (v: TFilterValues) => void }) {
  const set = (k: keyof TFilterValues) => (e: { target: { value: string } }) => onChange({ ...values, [k]: e.target.value });

  return (
    <fieldset className="mb-4 grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
      <legend className="sr-only">Filters</legend>
      {options.departments.length > 1 ? (
        <label className="text-sm font-medium text-slate-800">
          Department
          <select value={values.department} onChange={set("department")} className={FIELD}>
            <option value="">All my departments</option>
            {options.departments.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
          </select>
        </label>
      ) : null}
      <label className="text-sm font-medium text-slate-800">
        Location
        <select value={values.location} onChange={set("location")} className={FIELD}>
          <option value="">All locations</option>
          {options.locations.map((l) => <option key={l} value={l}>{l}</option>)}
        </select>
      </label>
      <label className="text-sm font-medium text-slate-800">
        Status
        <select value={values.status} onChange={set("status")} className={FIELD}>
          <option value="">Any status</option>
          <option value="active">Active</option>
          <option value="discharged">Discharged</option>
        </select>
      </label>
      <label className="text-sm font-medium text-slate-800">
        In hospital from
        <input type="date" value={values.from} onChange={set("from")} className={FIELD} />
      </label>
      <label className="text-sm font-medium text-slate-800">
        In hospital until
        <input type="date" value={values.to} onChange={set("to")} className={FIELD} />
      </label>
    </fieldset>
  );
}
