"use client";

import { useActionState } from "react";
import { revokeTokenAction, type TTokenState } from "@/app/(clinical)/admin/tokens/actions";

/** Revoke one API token (after a confirmation). */
export function TokenRevokeButton({ id, label }: { id: string; label: string }) {
  const [state, action, pending] = useActionState<TTokenState, FormData>(revokeTokenAction, { ok: true, message: "" });

  return (
    <form action={action} onSubmit={(e) => { if (!confirm(`Revoke the token "${label}"? Systems using it stop working.`)) e.preventDefault(); }}>
      <input type="hidden" name="id" value={id} />
      <button type="submit" disabled={pending} aria-label={`Revoke token ${label}`} className="inline-flex min-h-11 items-center rounded-lg bg-white px-4 font-semibold text-red-800 ring-1 ring-red-700 disabled:opacity-60">Revoke</button>
      {state.message && !state.ok ? <p role="alert" className="text-red-800">{state.message}</p> : null}
    </form>
  );
}
