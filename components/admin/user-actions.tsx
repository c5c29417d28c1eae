"use client";

import { useActionState } from "react";
import { resetPasswordAction, setUserActiveAction, type TUserState } from "@/app/(clinical)/admin/users/actions";

/** Deactivate / reactivate a user and reset their password (the new one is shown once). */
export function UserActions({ id, email, active }: { id: string; email: string; active: boolean }) {
  const [toggled, toggle, toggling] = useActionState<TUserState, FormData>(setUserActiveAction, { ok: true, message: "" });
  const [reset, doReset, resetting] = useActionState<TUserState, FormData>(resetPasswordAction, { ok: true, message: "" });
  const button = "inline-flex min-h-11 items-center rounded-lg bg-white px-4 font-semibold ring-1 disabled:opacity-60";
  const state = reset.message ? reset : toggled;

  return (
    <div className="flex flex-wrap items-center gap-2">
      <form action={toggle}>
        <input type="hidden" name="id" value={id} />
        <input type="hidden" name="active" value={active ? "false" : "true"} />
        <button type="submit" disabled={toggling} aria-label={`${active ? "Deactivate" : "Reactivate"} ${email}`} className={`${button} ${active ? "text-amber-900 ring-amber-700" : "text-emerald-800 ring-emerald-700"}`}>
          {active ? "Deactivate" : "Reactivate"}
        </button>
      </form>
      <form action={doReset} onSubmit={(e) => { if (!confirm(`Give ${email} a new password?`)) e.preventDefault(); }}>
        <input type="hidden" name="id" value={id} />
        <button type="submit" disabled={resetting} aria-label={`Reset password of ${email}`} className={`${button} text-slate-900 ring-slate-400`}>Reset password</button>
      </form>
      <div aria-live="polite">
        {state.message ? (
          <p role={state.ok ? "status" : "alert"} className={state.ok ? "text-emerald-800" : "text-red-800"}>
            {state.message} {state.secret ? <code className="rounded bg-amber-100 px-2 py-1 font-mono text-slate-900">{state.secret}</code> : null}
          </p>
        ) : null}
      </div>
    </div>
  );
}
