"use client";

import { startTransition, useActionState } from "react";
import { saveCatalogItemAction, type TActionState } from "@/app/(clinical)/catalog/actions";

export type TItemFormValues = {
  id?: string;
  version?: number;
  departmentId: string;
  code: string;
  scheme: string;
  meaning: string;
  modality: string;
  allowedMedia: string[];
  bodySiteCode: string;
  requireBodySite: boolean;
  laterality: string;
  mappedCode: string;
  mappedScheme: string;
  mappedMeaning: string;
  routingRuleId: string;
};

type TOption = { value: string; label: string };

const MODALITIES: TOption[] = [
  { value: "XC", label: "XC – photographic (VL / Video Photographic)" },
  { value: "ES", label: "ES – endoscopic (VL / Video Endoscopic)" },
  { value: "US", label: "US – ultrasound" },
];
const MEDIA: TOption[] = [{ value: "photo", label: "Photo" }, { value: "video", label: "Video" }, { value: "ultrasound", label: "Ultrasound" }];
const SIDES: TOption[] = [{ value: "", label: "None" }, { value: "R", label: "Right (R)" }, { value: "L", label: "Left (L)" }, { value: "B", label: "Both (B)" }, { value: "U", label: "Unpaired (U)" }];

/** Create or edit a catalog item: code and display text, standard mapping, what it produces, defaults, routing bucket. */
export function CatalogItemForm({ values, bodySites, buckets }: { values: TItemFormValues; bodySites: (TOption & { group: string })[]; buckets: TOption[] }) {
  const [state, action, pending] = useActionState<TActionState, FormData>(saveCatalogItemAction, { ok: true, message: "" });
  const input = "h-11 w-full rounded-lg border border-slate-400 bg-white px-3";
  const label = "mb-1 block text-sm font-medium";
  const groups = [...new Set(bodySites.map((b) => b.group))];

  return (
    // Submitted by hand, not via <form action>: React resets a form after its action, which would wipe the
    // manager's input when the server refuses it.
    <form
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        startTransition(() => action(data));
      }}
      aria-label={values.id ? "Edit catalog item" : "New catalog item"} className="space-y-5 rounded-xl bg-white p-4 ring-1 ring-slate-200">
      {values.id ? <input type="hidden" name="id" value={values.id} /> : null}
      {values.version ? <input type="hidden" name="expectedVersion" value={values.version} /> : null}
      <input type="hidden" name="departmentId" value={values.departmentId} />
      <div className="grid gap-4 md:grid-cols-3">
        <label className="block md:col-span-3"><span className={label}>Display text (Code Meaning)</span>
          <input name="meaning" required maxLength={64} defaultValue={values.meaning} className={input} /></label>
        <label className="block"><span className={label}>Local code</span>
          <input name="code" required maxLength={16} defaultValue={values.code} className={`${input} font-mono`} autoCapitalize="characters" /></label>
        <label className="block"><span className={label}>Coding scheme</span>
          <input name="scheme" required maxLength={16} defaultValue={values.scheme} className={`${input} font-mono`} /></label>
      </div>
      <fieldset className="grid gap-4 rounded-lg border border-slate-300 p-3 md:grid-cols-3">
        <legend className="px-1 text-sm font-semibold">Standard code (optional)</legend>
        <label className="block"><span className={label}>Mapping scheme</span>
          <select name="mappedScheme" defaultValue={values.mappedScheme} className={input}>
            <option value="">None</option><option value="SCT">SNOMED CT (SCT)</option><option value="LN">LOINC (LN)</option>
          </select></label>
        <label className="block"><span className={label}>Mapped code</span>
          <input name="mappedCode" maxLength={16} defaultValue={values.mappedCode} className={`${input} font-mono`} inputMode="numeric" /></label>
        <label className="block"><span className={label}>Mapped meaning</span>
          <input name="mappedMeaning" maxLength={64} defaultValue={values.mappedMeaning} className={input} /></label>
      </fieldset>
      <div className="grid gap-4 md:grid-cols-2">
        <label className="block"><span className={label}>Modality / IOD it produces</span>
          <select name="modality" defaultValue={values.modality} className={input}>
            {MODALITIES.map((m) => <option key={m.value} value={m.value}>{m.label}</option>)}
          </select></label>
        <fieldset>
          <legend className={label}>Allowed media</legend>
          <div className="flex flex-wrap gap-2">
            {MEDIA.map((m) => (
              <label key={m.value} className="flex min-h-11 items-center gap-2 rounded-lg border border-slate-300 px-3">
                <input type="checkbox" name="allowedMedia" value={m.value} defaultChecked={values.allowedMedia.includes(m.value)} className="size-5 accent-brand-600" />
                {m.label}
              </label>
            ))}
          </div>
        </fieldset>
      </div>
      <div className="grid gap-4 md:grid-cols-3">
        <label className="block"><span className={label}>Default body site</span>
          <select name="bodySiteCode" defaultValue={values.bodySiteCode} className={input}>
            <option value="">None</option>
            {groups.map((g) => (
              <optgroup key={g} label={g}>
                {bodySites.filter((b) => b.group === g).map((b) => <option key={b.value} value={b.value}>{b.label}</option>)}
              </optgroup>
            ))}
          </select></label>
        <label className="flex min-h-11 items-center gap-2 self-end">
          <input type="checkbox" name="requireBodySite" defaultChecked={values.requireBodySite} className="size-5 accent-brand-600" />
          <span>Body site required for every image</span>
        </label>
        <label className="block"><span className={label}>Default laterality</span>
          <select name="laterality" defaultValue={values.laterality} className={input}>
            {SIDES.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
          </select></label>
      </div>
      <label className="block max-w-xl"><span className={label}>Routing bucket</span>
        <select name="routingRuleId" defaultValue={values.routingRuleId} className={input}>
          <option value="">None – the routing rules decide</option>
          {buckets.map((b) => <option key={b.value} value={b.value}>{b.label}</option>)}
        </select></label>
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" disabled={pending} className="inline-flex min-h-11 items-center rounded-lg bg-brand-600 px-6 font-semibold text-white disabled:opacity-60">
          {values.id ? "Save changes" : "Create item"}
        </button>
        <div aria-live="polite">
          {state.message ? <p role={state.ok ? "status" : "alert"} className={state.ok ? "text-emerald-800" : "text-red-800"}>{state.message}</p> : null}
        </div>
      </div>
    </form>
  );
}
