import type { TRoutingOptions } from "@/lib/forwarding/find-routing-options";

const FIELD = "h-11 w-full rounded-lg border border-slate-300 bg-white px-3";

type TConditionValues = { facilityCode?: string; departmentCode?: string; catalogItemId?: string; modality?: string; sopClassUid?: string };

/** Facility, department, catalog item, modality and SOP class selects ("Any" = ""), shared by the rule and preview forms. */
export function RoutingConditionFields({ options, values = {}, idPrefix, anyLabel = "Any" }: { options: TRoutingOptions; values?: TConditionValues; idPrefix: string; anyLabel?: string }) {
  return (
    <>
      <label className="block" htmlFor={`${idPrefix}-facility`}>
        <span className="mb-1 block text-sm font-medium">Facility</span>
        <select id={`${idPrefix}-facility`} name="facilityCode" defaultValue={values.facilityCode ?? ""} className={FIELD}>
          <option value="">{anyLabel}</option>
          {options.facilities.map((f) => <option key={f.id} value={f.code}>{f.code} – {f.name}</option>)}
        </select>
      </label>
      <label className="block" htmlFor={`${idPrefix}-department`}>
        <span className="mb-1 block text-sm font-medium">Department (capturing source)</span>
        <select id={`${idPrefix}-department`} name="departmentCode" defaultValue={values.departmentCode ?? ""} className={FIELD}>
          <option value="">{anyLabel}</option>
          {options.departments.map((d) => <option key={d.code} value={d.code}>{d.code} – {d.name}</option>)}
        </select>
      </label>
      <label className="block" htmlFor={`${idPrefix}-item`}>
        <span className="mb-1 block text-sm font-medium">Catalog item</span>
        <select id={`${idPrefix}-item`} name="catalogItemId" defaultValue={values.catalogItemId ?? ""} className={FIELD}>
          <option value="">{anyLabel}</option>
          {options.departments.map((d) => (
            <optgroup key={d.code} label={d.name}>
              {options.catalogItems.filter((c) => c.departmentCode === d.code).map((c) => (
                <option key={c.id} value={c.id}>{c.code} – {c.meaning}{c.active ? "" : " (inactive)"}</option>
              ))}
            </optgroup>
          ))}
        </select>
      </label>
      <label className="block" htmlFor={`${idPrefix}-modality`}>
        <span className="mb-1 block text-sm font-medium">Modality</span>
        <select id={`${idPrefix}-modality`} name="modality" defaultValue={values.modality ?? ""} className={FIELD}>
          <option value="">{anyLabel}</option>
          {options.modalities.map((m) => <option key={m.code} value={m.code}>{m.label}</option>)}
        </select>
      </label>
      <label className="block" htmlFor={`${idPrefix}-sop`}>
        <span className="mb-1 block text-sm font-medium">IOD (SOP class)</span>
        <select id={`${idPrefix}-sop`} name="sopClassUid" defaultValue={values.sopClassUid ?? ""} className={FIELD}>
          <option value="">{anyLabel}</option>
          {options.sopClasses.map((s) => <option key={s.uid} value={s.uid}>{s.label}</option>)}
        </select>
      </label>
    </>
  );
}

export const FIELD_CLASS = FIELD;
