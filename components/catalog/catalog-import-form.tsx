"use client";

import { useActionState } from "react";
import { importCatalogAction, type TImportState } from "@/app/(clinical)/catalog/actions";

/** Upload a CSV (the export's format); shows counts, or every bad row when nothing was applied. */
export function CatalogImportForm({ departmentId, departmentName }: { departmentId: string; departmentName: string }) {
  const [state, action, pending] = useActionState<TImportState, FormData>(importCatalogAction, { done: false });
  const result = state.result;

  return (
    <form action={action} aria-label="Import CSV" className="flex flex-wrap items-center gap-2 rounded-xl bg-white p-2 ring-1 ring-slate-200">
      <input type="hidden" name="departmentId" value={departmentId} />
      <label className="text-sm font-medium" htmlFor="catalog-csv">CSV file for {departmentName}</label>
      <input id="catalog-csv" name="file" type="file" accept=".csv,text/csv" required className="min-h-11 max-w-64 text-sm file:mr-2 file:min-h-11 file:rounded-lg file:border-0 file:bg-slate-100 file:px-3" />
      <button type="submit" disabled={pending} className="inline-flex min-h-11 items-center rounded-lg bg-white px-4 font-semibold text-brand-700 ring-1 ring-brand-600 disabled:opacity-60">
        {pending ? "Importing…" : "Import CSV"}
      </button>
      <div className="basis-full" aria-live="polite">
        {state.message ? <p role="alert" className="text-red-800">{state.message}</p> : null}
        {result?.ok ? <p role="status" className="text-emerald-800">Imported: {result.created} created, {result.updated} updated, {result.unchanged} unchanged.</p> : null}
        {result && !result.ok ? (
          <div role="alert" className="text-red-800">
            <p className="font-semibold">Nothing was imported. Fix these rows and try again:</p>
            <ul className="list-disc pl-6">
              {result.errors.map((e, n) => <li key={n}>{e.row > 0 ? `Row ${e.row}: ` : ""}{e.message}</li>)}
            </ul>
          </div>
        ) : null}
      </div>
    </form>
  );
}
