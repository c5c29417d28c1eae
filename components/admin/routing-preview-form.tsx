"use client";

import { useActionState } from "react";
import { previewAction, type TPreviewState } from "@/app/(clinical)/admin/routing/actions";
import type { TRoutingOptions } from "@/lib/forwarding/find-routing-options";
import { FIELD_CLASS, RoutingConditionFields } from "./routing-fields";

const identityText = (i: { issuerOfPatientId: string; institutionName: string; institutionDepartmentName: string; sourceSystemCode: string }): string =>
  [
    i.issuerOfPatientId && `Issuer ${i.issuerOfPatientId}`,
    i.institutionName && `Institution ${i.institutionName}`,
    i.institutionDepartmentName && `Department ${i.institutionDepartmentName}`,
    i.sourceSystemCode && `Source ${i.sourceSystemCode}`,
  ].filter(Boolean).join(" · ") || "as captured";

/** "Where would this capture go, and with which identity?" – for chosen attributes or an existing study. */
export function RoutingPreviewForm({ options }: { options: TRoutingOptions }) {
  const [state, action, pending] = useActionState<TPreviewState, FormData>(previewAction, { message: "", answers: [], values: {} });

  return (
    <section aria-labelledby="preview-title" className="space-y-3 rounded-xl bg-white p-4 ring-1 ring-slate-200">
      <h2 id="preview-title" className="text-lg font-semibold">Preview: where would this capture go?</h2>
      <p className="text-sm text-slate-600">The same routing a capture made now gets. A catalog item brings its own department (the capturing one) and its bucket.</p>
      {/* Keyed on the question: the choices stay visible next to the answer (React resets a form after its action). */}
      <form key={JSON.stringify(state.values)} action={action} className="space-y-3">
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          <RoutingConditionFields options={options} values={state.values} idPrefix="preview" anyLabel="(none)" />
          <label className="block" htmlFor="preview-study">
            <span className="mb-1 block text-sm font-medium">…or an existing Study Instance UID</span>
            <input id="preview-study" name="studyInstanceUid" defaultValue={state.values.studyInstanceUid ?? ""} className={FIELD_CLASS} inputMode="numeric" />
          </label>
        </div>
        <button type="submit" disabled={pending} className="h-11 rounded-lg bg-brand-600 px-5 font-semibold text-white disabled:opacity-60">Preview</button>
      </form>
      {state.message ? <p role="alert" className="text-red-700">{state.message}</p> : null}
      <div role="status" aria-live="polite" data-testid="preview-answer" className="space-y-2">
        {state.answers.map((a, i) => (
          <div key={`${a.subject}-${i}`} className="rounded-lg border border-slate-200 p-3">
            {a.subject !== "capture" ? <p className="font-mono text-xs">{a.subject}</p> : null}
            {a.unrouted ? (
              <p className="font-medium text-red-700">Unrouted: no rule matches. The capture would be stored locally, get no delivery job and be listed below.</p>
            ) : a.routes.length === 0 ? (
              <p className="font-medium text-amber-800">No rules and no enabled destination: it would wait until a destination is added.</p>
            ) : (
              <ul className="space-y-1">
                {a.routes.map((r) => (
                  <li key={r.destinationId}>
                    <span className="font-medium">{r.destinationName}</span>
                    {r.destinationEnabled ? "" : " (disabled: waits)"} — {r.ruleName ? `rule “${r.ruleName}” v${r.version}` : "no rules configured: every enabled destination"}
                    {a.mode === "bucket" ? " (catalog item bucket)" : ""} — identity: {identityText(r.identity)}
                  </li>
                ))}
              </ul>
            )}
          </div>
        ))}
      </div>
    </section>
  );
}
