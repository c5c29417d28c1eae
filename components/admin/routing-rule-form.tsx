"use client";

import { useActionState } from "react";
import { saveRuleAction, type TRuleFormState } from "@/app/(clinical)/admin/routing/actions";
import type { TRoutingOptions } from "@/lib/forwarding/find-routing-options";
import { FIELD_CLASS, RoutingConditionFields } from "./routing-fields";

export type TRuleFormValues = {
  id?: string;
  version?: number;
  name?: string;
  facilityCode?: string;
  departmentCode?: string;
  catalogItemId?: string;
  modality?: string;
  sopClassUid?: string;
  issuerOfPatientId?: string;
  institutionName?: string;
  institutionDepartmentName?: string;
  sourceSystemCode?: string;
  destinationIds?: string[];
};

const IDENTITY_FIELDS = [
  ["issuerOfPatientId", "Issuer of Patient ID (0010,0021)", 64],
  ["institutionName", "Institution Name (0008,0080)", 64],
  ["institutionDepartmentName", "Institution Department Name (0008,1040)", 64],
  ["sourceSystemCode", "Source-system code (AE title, ≤ 16)", 16],
] as const;

/** Create or edit a routing rule: conditions, destinations, identity. Every save is a new version. */
export function RoutingRuleForm({ options, values = {} }: { options: TRoutingOptions; values?: TRuleFormValues }) {
  const [state, action, pending] = useActionState<TRuleFormState, FormData>(saveRuleAction, { ok: true, message: "" });
  const editing = Boolean(values.id);

  return (
    <form action={action} className="space-y-4 rounded-xl bg-white p-4 ring-1 ring-slate-200" aria-labelledby="rule-form-title">
      <h2 id="rule-form-title" className="text-lg font-semibold">{editing ? `Edit rule (now version ${values.version})` : "New rule"}</h2>
      {values.id ? <input type="hidden" name="id" value={values.id} /> : null}
      {values.version ? <input type="hidden" name="expectedVersion" value={values.version} /> : null}
      <label className="block" htmlFor="rule-name">
        <span className="mb-1 block text-sm font-medium">Rule name</span>
        <input id="rule-name" name="name" required maxLength={100} defaultValue={values.name ?? ""} className={FIELD_CLASS} />
      </label>
      <fieldset className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        <legend className="mb-1 text-sm font-semibold text-slate-700">Conditions (all must hold; “Any” matches everything)</legend>
        <RoutingConditionFields options={options} values={values} idPrefix="rule" />
      </fieldset>
      <fieldset>
        <legend className="mb-1 text-sm font-semibold text-slate-700">Destinations</legend>
        <div className="flex flex-wrap gap-2">
          {options.destinations.map((d) => (
            <label key={d.id} className="flex min-h-11 items-center gap-2 rounded-lg border border-slate-300 px-3">
              <input type="checkbox" name="destinationIds" value={d.id} defaultChecked={values.destinationIds?.includes(d.id)} className="size-5" />
              {d.name} <span className="text-xs text-slate-600">({d.kind === "dimse" ? "C-STORE" : "STOW-RS"}{d.enabled ? "" : ", disabled"})</span>
            </label>
          ))}
          {options.destinations.length === 0 ? <p className="text-slate-600">No destination yet: add one under Destinations first.</p> : null}
        </div>
      </fieldset>
      <fieldset className="grid gap-3 sm:grid-cols-2">
        <legend className="mb-1 text-sm font-semibold text-slate-700">Bucket identity stamped into every object sent (empty = as captured)</legend>
        {IDENTITY_FIELDS.map(([name, label, max]) => (
          <label key={name} className="block" htmlFor={`rule-${name}`}>
            <span className="mb-1 block text-sm font-medium">{label}</span>
            <input id={`rule-${name}`} name={name} maxLength={max} defaultValue={values[name] ?? ""} className={FIELD_CLASS} />
          </label>
        ))}
      </fieldset>
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" disabled={pending} className="h-11 rounded-lg bg-brand-600 px-5 font-semibold text-white disabled:opacity-60">
          {editing ? "Save as new version" : "Create rule"}
        </button>
        {state.message ? <p role="status" className={state.ok ? "text-emerald-700" : "text-red-700"}>{state.message}</p> : null}
      </div>
    </form>
  );
}
