"use client";

import { startTransition, useActionState } from "react";
import { issueTokenAction, type TTokenState } from "@/app/(clinical)/admin/tokens/actions";

/** Issue an API token for a user; the token is shown once, in a read-only field ready to copy. */
export function TokenForm({ users }: { users: { id: string; email: string; role: string }[] }) {
  const [state, action, pending] = useActionState<TTokenState, FormData>(issueTokenAction, { ok: true, message: "" });
  const input = "h-11 w-full rounded-lg border border-slate-400 bg-white px-3";

  return (
    <form
      aria-label="New API token"
      className="space-y-3 rounded-xl bg-white p-4 ring-1 ring-slate-200"
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        startTransition(() => action(data));
      }}
    >
      <div className="grid gap-3 md:grid-cols-[1fr_1fr_auto] md:items-end">
        <label className="block" htmlFor="token-user"><span className="mb-1 block text-sm font-medium">Acts as user</span>
          <select id="token-user" name="userId" required className={input}>
            {users.map((u) => <option key={u.id} value={u.id}>{u.email} ({u.role})</option>)}
          </select></label>
        <label className="block" htmlFor="token-label"><span className="mb-1 block text-sm font-medium">Label (which system uses it)</span>
          <input id="token-label" name="label" required maxLength={64} className={input} /></label>
        <button type="submit" disabled={pending} className="inline-flex min-h-11 items-center rounded-lg bg-brand-600 px-5 font-semibold text-white disabled:opacity-60">Create token</button>
      </div>
      <div aria-live="polite">
        {state.message ? <p role={state.ok ? "status" : "alert"} className={state.ok ? "font-semibold text-amber-900" : "text-red-800"}>{state.message}</p> : null}
        {state.token ? (
          <label className="mt-2 block" htmlFor="new-token"><span className="mb-1 block text-sm font-medium">New token</span>
            <input id="new-token" readOnly value={state.token} onFocus={(e) => e.currentTarget.select()} className={`${input} font-mono`} /></label>
        ) : null}
      </div>
    </form>
  );
}
