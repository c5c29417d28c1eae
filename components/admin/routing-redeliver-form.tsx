"use client";

import { useActionState } from "react";
import { redeliverAction, type TRedeliverState } from "@/app/(clinical)/admin/routing/actions";
import { FIELD_CLASS } from "./routing-fields";

type TChoice = { value: string; label: string };

/** Re-deliver a facility's or a rule's instances to a destination: count first, then confirm. */
export function RoutingRedeliverForm({ scopes, destinations }: { scopes: TChoice[]; destinations: TChoice[] }) {
  const [state, action, pending] = useActionState<TRedeliverState, FormData>(redeliverAction, { step: "choose", message: "" });
  const c = state.counts;

  return (
    <section aria-labelledby="redeliver-title" className="space-y-3 rounded-xl bg-white p-4 ring-1 ring-slate-200">
      <h2 id="redeliver-title" className="text-lg font-semibold">Re-deliver to a destination</h2>
      {/* Keyed on the answer: the choices stay selected after counting (React resets a form after its action). */}
      <form key={`${state.scope ?? ""}|${state.destinationId ?? ""}|${state.step}`} action={action} className="grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end">
        <label className="block" htmlFor="redeliver-scope">
          <span className="mb-1 block text-sm font-medium">Everything of</span>
          <select id="redeliver-scope" name="scope" required defaultValue={state.scope ?? ""} className={FIELD_CLASS}>
            <option value="" disabled>Choose a facility or a rule</option>
            {scopes.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
          </select>
        </label>
        <label className="block" htmlFor="redeliver-destination">
          <span className="mb-1 block text-sm font-medium">To destination</span>
          <select id="redeliver-destination" name="destinationId" required defaultValue={state.destinationId ?? ""} className={FIELD_CLASS}>
            <option value="" disabled>Choose a destination</option>
            {destinations.map((d) => <option key={d.value} value={d.value}>{d.label}</option>)}
          </select>
        </label>
        <input type="hidden" name="confirm" value="no" />
        <button type="submit" disabled={pending} className="h-11 rounded-lg border border-slate-300 px-5 font-semibold">Count</button>
      </form>
      {state.step === "confirm" && c ? (
        // The confirmation carries what was counted, so it queues exactly that (choose again and Count to change it).
        <form action={action} role="alertdialog" aria-labelledby="redeliver-confirm" className="space-y-2 rounded-lg border border-amber-300 bg-amber-50 p-3">
          <input type="hidden" name="scope" value={state.scope} />
          <input type="hidden" name="destinationId" value={state.destinationId} />
          <input type="hidden" name="confirm" value="yes" />
          <p id="redeliver-confirm">
            {scopes.find((s) => s.value === state.scope)?.label} → {destinations.find((d) => d.value === state.destinationId)?.label}:{" "}
            <strong>{c.queued}</strong> instance(s) will be queued ({c.total} in scope; {c.alreadyQueued} already have a job for this destination; {c.purged} local copy purged, cannot be sent).
          </p>
          <button type="submit" disabled={pending || c.queued === 0} className="h-11 rounded-lg bg-brand-600 px-5 font-semibold text-white disabled:opacity-60">
            Re-deliver {c.queued} instance(s)
          </button>
        </form>
      ) : null}
      <div role="status" aria-live="polite">
        {state.step === "done" && c ? <p className="text-emerald-700">Queued {c.queued}; {c.alreadyQueued} already queued; {c.purged} local copy purged (not sent).</p> : null}
        {state.step === "error" ? <p className="text-red-700">{state.message}</p> : null}
      </div>
    </section>
  );
}
