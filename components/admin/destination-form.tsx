"use client";

import { useActionState, useState } from "react";
import { saveDestination, type TDestinationFormState } from "@/app/(clinical)/admin/destinations/actions";
import type { TDestinationSettings } from "@/lib/forwarding/get-destination-settings";

/** The stored settings when editing (the secret itself never reaches the browser). */
export type TDestinationFormValues = Omit<TDestinationSettings, "kind">;

const INPUT = "h-11 w-full rounded-lg border border-slate-300 px-3";
const LABEL = "mb-1 block text-sm font-medium";

export function DestinationForm({ destination }: { destination?: TDestinationFormValues }) {
  const [state, action, pending] = useActionState<TDestinationFormState, FormData>(saveDestination, { ok: true, message: "" });
  const [authType, setAuthType] = useState(destination?.authType ?? "none");
  const keepSecret = destination?.hasSecret && destination.authType === authType;

  return (
    <form action={action} className="grid gap-4 rounded-xl bg-white p-4 ring-1 ring-slate-200 sm:grid-cols-2" aria-label={destination ? "Edit destination" : "Add a destination"}>
      <h2 className="text-lg font-semibold sm:col-span-2">{destination ? "Settings" : "Add a destination"}</h2>
      {destination ? <input type="hidden" name="id" value={destination.id} /> : null}
      <label className="block"><span className={LABEL}>Name</span><input name="name" required defaultValue={destination?.name} className={INPUT} /></label>
      <label className="block"><span className={LABEL}>Address: STOW-RS base URL or C-STORE dicom://AE@host:port</span><input name="url" type="text" inputMode="url" required defaultValue={destination?.url} placeholder="https://vna.example.org/dicom-web  or  dicom://VNA@vna.example.org:104" className={INPUT} /></label>
      <label className="block">
        <span className={LABEL}>Authentication (STOW-RS)</span>
        <select name="authType" value={authType} onChange={(e) => setAuthType(e.target.value)} className={`${INPUT} bg-white`}>
          <option value="none">None</option>
          <option value="basic">Basic (user name and password)</option>
          <option value="bearer">Bearer token</option>
        </select>
      </label>
      <label className="block">
        <span className={LABEL}>Parallel requests / associations, at most</span>
        <input name="maxParallel" type="number" min={1} max={32} required defaultValue={destination?.maxParallel ?? 8} className={INPUT} aria-describedby="max-parallel-help" />
        <span id="max-parallel-help" className="mt-1 block text-sm text-slate-600">The forwarder adapts below this limit from measured throughput.</span>
      </label>
      {authType === "basic" ? (
        <label className="block"><span className={LABEL}>User name</span><input name="authUsername" autoComplete="off" required defaultValue={destination?.authUsername} className={INPUT} /></label>
      ) : null}
      {authType !== "none" ? (
        <label className="block">
          <span className={LABEL}>{authType === "basic" ? "Password" : "Token"}</span>
          <input name="authSecret" type="password" autoComplete="new-password" required={!keepSecret} placeholder={keepSecret ? "stored – leave empty to keep it" : ""} className={INPUT} />
        </label>
      ) : null}
      <label className="block sm:col-span-2">
        <span className={LABEL}>CA certificate(s) for HTTPS, PEM (optional, added to the system store)</span>
        <textarea name="caCertPem" rows={4} defaultValue={destination?.caCertPem} placeholder="-----BEGIN CERTIFICATE-----" className="w-full rounded-lg border border-slate-300 px-3 py-2 font-mono text-xs" />
      </label>
      <div className="flex flex-wrap items-center gap-4 sm:col-span-2">
        <label className="flex h-11 items-center gap-2"><input name="enabled" type="checkbox" defaultChecked={destination?.enabled ?? true} className="size-5" />Enabled</label>
        <button type="submit" disabled={pending} className="h-11 rounded-lg bg-brand-600 px-5 font-semibold text-white disabled:opacity-60">Save</button>
      </div>
      {state.message ? <p role="status" className={`sm:col-span-2 ${state.ok ? "text-emerald-700" : "text-red-700"}`}>{state.message}</p> : null}
    </form>
  );
}
