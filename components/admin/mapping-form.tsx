"use client";

import { useActionState } from "react";
import { saveMapping, type TMappingState } from "@/app/(clinical)/admin/locations/actions";

const REMOVE = "-";

export function MappingForm({ departments }: { departments: { code: string; name: string }[] }) {
  const [state, action, pending] = useActionState<TMappingState, FormData>(saveMapping, { ok: true, message: "" });
  const input = "h-11 w-full rounded-lg border border-slate-300 bg-white px-3";

  return (
    <form action={action} className="grid gap-3 rounded-xl bg-white p-4 ring-1 ring-slate-200 sm:grid-cols-4 sm:items-end">
      <label className="block"><span className="mb-1 block text-sm font-medium">Point of care</span><input name="pointOfCare" required className={input} /></label>
      <label className="block"><span className="mb-1 block text-sm font-medium">Facility (empty = any)</span><input name="facilityCode" className={input} /></label>
      <label className="block"><span className="mb-1 block text-sm font-medium">Department</span>
        <select name="departmentCode" className={input} defaultValue="" required>
          <option value="" disabled>Choose…</option>
          {departments.map((d) => <option key={d.code} value={d.code}>{d.code} · {d.name}</option>)}
          <option value={REMOVE}>— remove this mapping —</option>
        </select>
      </label>
      <button type="submit" disabled={pending} className="h-11 rounded-lg bg-brand-600 px-5 font-semibold text-white disabled:opacity-60">Save</button>
      {state.message ? <p role="status" className={`sm:col-span-4 ${state.ok ? "text-emerald-700" : "text-red-700"}`}>{state.message}</p> : null}
    </form>
  );
}
