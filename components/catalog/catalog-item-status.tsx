"use client";

import { useActionState } from "react";
import { deleteCatalogItemAction, setCatalogItemActiveAction, type TActionState } from "@/app/(clinical)/catalog/actions";

/** Deactivate / reactivate an item; delete it only when it was never used. */
export function CatalogItemStatus({ id, active, used, departmentCode }: { id: string; active: boolean; used: boolean; departmentCode: string }) {
  const [state, toggle, toggling] = useActionState<TActionState, FormData>(setCatalogItemActiveAction, { ok: true, message: "" });
  const [deleted, remove, removing] = useActionState<TActionState, FormData>(deleteCatalogItemAction, { ok: true, message: "" });
  const button = "inline-flex min-h-11 items-center rounded-lg px-4 font-semibold ring-1 disabled:opacity-60";
  const message = deleted.message || state.message;
  const ok = deleted.message ? deleted.ok : state.ok;

  return (
    <div className="flex flex-wrap items-center gap-3">
      <form action={toggle}>
        <input type="hidden" name="id" value={id} />
        <input type="hidden" name="active" value={active ? "false" : "true"} />
        <button type="submit" disabled={toggling} className={`${button} ${active ? "bg-white text-amber-900 ring-amber-700" : "bg-emerald-700 text-white ring-emerald-700"}`}>
          {active ? "Deactivate" : "Reactivate"}
        </button>
      </form>
      {!used ? (
        <form action={remove} onSubmit={(e) => { if (!confirm("Delete this unused item for good?")) e.preventDefault(); }}>
          <input type="hidden" name="id" value={id} />
          <input type="hidden" name="department" value={departmentCode} />
          <button type="submit" disabled={removing} className={`${button} bg-white text-red-800 ring-red-700`}>Delete (never used)</button>
        </form>
      ) : (
        <p className="text-sm text-slate-700">Used for captures: it can be deactivated, not deleted.</p>
      )}
      <div aria-live="polite">{message ? <p role={ok ? "status" : "alert"} className={ok ? "text-emerald-800" : "text-red-800"}>{message}</p> : null}</div>
    </div>
  );
}
