"use client";

import { startTransition, useActionState } from "react";
import { saveUserAction, type TUserState } from "@/app/(clinical)/admin/users/actions";

type TUser = { id: string; email: string; name: string; role: string; departmentIds: string[] };
type TDepartment = { id: string; code: string; name: string };

const ROLES = [
  { value: "clinician", label: "Clinician – captures for their departments" },
  { value: "manager", label: "Manager – also maintains their departments' catalogs" },
  { value: "admin", label: "Admin – runs the system" },
];

/** Create a user (no `user`; the first password is generated when left empty and shown once) or edit one. */
export function UserForm({ user, departments }: { user?: TUser; departments: TDepartment[] }) {
  const [state, action, pending] = useActionState<TUserState, FormData>(saveUserAction, { ok: true, message: "" });
  const key = user?.id ?? "new";
  const input = "h-11 w-full rounded-lg border border-slate-400 bg-white px-3";
  const label = "mb-1 block text-sm font-medium";

  return (
    <form
      aria-label={user ? `Edit ${user.email}` : "New user"}
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        startTransition(() => action(data));
      }}
    >
      {user ? <input type="hidden" name="id" value={user.id} /> : null}
      <div className="grid gap-3 md:grid-cols-3">
        <label className="block" htmlFor={`email-${key}`}><span className={label}>E-mail</span>
          <input id={`email-${key}`} name="email" type="email" required defaultValue={user?.email} autoComplete="off" className={input} /></label>
        <label className="block" htmlFor={`name-${key}`}><span className={label}>Name</span>
          <input id={`name-${key}`} name="name" defaultValue={user?.name} className={input} /></label>
        <label className="block" htmlFor={`role-${key}`}><span className={label}>Role</span>
          <select id={`role-${key}`} name="role" defaultValue={user?.role ?? "clinician"} className={input}>
            {ROLES.map((r) => <option key={r.value} value={r.value}>{r.label}</option>)}
          </select></label>
      </div>
      <fieldset>
        <legend className={label}>Departments</legend>
        <div className="flex flex-wrap gap-2">
          {departments.map((d) => (
            <label key={d.id} className="flex min-h-11 items-center gap-2 rounded-lg border border-slate-300 bg-white px-3">
              <input type="checkbox" name="departmentIds" value={d.id} defaultChecked={user?.departmentIds.includes(d.id)} className="size-5 accent-brand-600" />
              {d.name} ({d.code})
            </label>
          ))}
        </div>
      </fieldset>
      {user ? null : (
        <label className="block max-w-md" htmlFor={`password-${key}`}><span className={label}>First password (optional: leave empty to generate one)</span>
          <input id={`password-${key}`} name="password" type="password" minLength={10} autoComplete="new-password" className={input} /></label>
      )}
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" disabled={pending} className="inline-flex min-h-11 items-center rounded-lg bg-brand-600 px-5 font-semibold text-white disabled:opacity-60">
          {user ? "Save" : "Create user"}
        </button>
        <div aria-live="polite">
          {state.message ? (
            <p role={state.ok ? "status" : "alert"} className={state.ok ? "text-emerald-800" : "text-red-800"}>
              {state.message} {state.secret ? <code className="rounded bg-amber-100 px-2 py-1 font-mono text-slate-900" data-testid="shown-once">{state.secret}</code> : null}
            </p>
          ) : null}
        </div>
      </div>
    </form>
  );
}
