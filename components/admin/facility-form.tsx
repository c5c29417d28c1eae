"use client";

import { useActionState } from "react";
import { saveFacilityAction, type TFacilityState } from "@/app/(clinical)/admin/facilities/actions";

type TFacility = { code: string; name: string; mrnAuthority: string; mrnAuthorityOid: string };

/** Create a facility (no `facility`) or edit one: code, name, MRN authority, authority OID. */
export function FacilityForm({ facility }: { facility?: TFacility }) {
  const [state, action, pending] = useActionState<TFacilityState, FormData>(saveFacilityAction, { ok: true, message: "" });
  const input = "h-11 w-full rounded-lg border border-slate-300 bg-white px-3";
  const id = facility?.code ?? "new";

  return (
    <form action={action} aria-label={facility ? `Facility ${facility.code}` : "New facility"} className="grid gap-3 rounded-xl bg-white p-4 ring-1 ring-slate-200 sm:grid-cols-5 sm:items-end">
      <label className="block" htmlFor={`code-${id}`}>
        <span className="mb-1 block text-sm font-medium">Code (PV1-3.4 / MSH-4)</span>
        {facility ? (
          <>
            <input id={`code-${id}`} value={facility.code} readOnly className={`${input} bg-slate-50 font-mono`} />
            <input type="hidden" name="code" value={facility.code} />
          </>
        ) : (
          <input id={`code-${id}`} name="code" required className={`${input} font-mono`} />
        )}
      </label>
      <label className="block"><span className="mb-1 block text-sm font-medium">Name (Institution Name)</span><input name="name" defaultValue={facility?.name} className={input} /></label>
      <label className="block"><span className="mb-1 block text-sm font-medium">MRN authority (PID-3.4)</span><input name="mrnAuthority" required defaultValue={facility?.mrnAuthority} className={`${input} font-mono`} /></label>
      <label className="block"><span className="mb-1 block text-sm font-medium">Authority OID (optional)</span><input name="mrnAuthorityOid" defaultValue={facility?.mrnAuthorityOid} inputMode="decimal" className={`${input} font-mono`} /></label>
      <button type="submit" disabled={pending} className="h-11 rounded-lg bg-brand-600 px-5 font-semibold text-white disabled:opacity-60">{facility ? "Save" : "Add facility"}</button>
      {state.message ? <p role="status" className={`sm:col-span-5 ${state.ok ? "text-emerald-700" : "text-red-700"}`}>{state.message}</p> : null}
    </form>
  );
}
