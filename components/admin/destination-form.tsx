"use client";

import { useActionState } from "react";
import { saveDestination, type TDestinationFormState } from "@/app/(clinical)/admin/destinations/actions";

export function DestinationForm() {
  const [state, action, pending] = useActionState<TDestinationFormState, FormData>(saveDestination, { ok: true, message: "" });

  return (
    <form action={action} className="grid gap-3 rounded-xl bg-white p-4 ring-1 ring-slate-200 sm:grid-cols-[1fr_2fr_auto_auto] sm:items-end">
      <label className="block"><span className="mb-1 block text-sm font-medium">Name</span><input name="name" required className="h-11 w-full rounded-lg border border-slate-300 px-3" /></label>
      <label className="block"><span className="mb-1 block text-sm font-medium">Address: STOW-RS base URL or C-STORE dicom://AE@host:port</span><input name="url" type="text" inputMode="url" required placeholder="https://vna.example.org/dicom-web  or  dicom://VNA@vna.example.org:104" className="h-11 w-full rounded-lg border border-slate-300 px-3" /></label>
      <label className="flex h-11 items-center gap-2"><input name="enabled" type="checkbox" defaultChecked className="size-5" />Enabled</label>
      <button type="submit" disabled={pending} className="h-11 rounded-lg bg-brand-600 px-5 font-semibold text-white disabled:opacity-60">Save</button>
      {state.message ? <p role="status" className={`sm:col-span-4 ${state.ok ? "text-emerald-700" : "text-red-700"}`}>{state.message}</p> : null}
    </form>
  );
}
