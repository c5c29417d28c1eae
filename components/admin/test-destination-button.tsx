"use client";

import { useActionState } from "react";
import { testDestinationAction, type TConnectionState } from "@/app/(clinical)/admin/destinations/actions";

/** "Test connection" for one destination, with the answer next to it. */
export function TestDestinationButton({ id, name }: { id: string; name: string }) {
  const [state, action, pending] = useActionState<TConnectionState, FormData>(testDestinationAction, { ok: true, message: "" });

  return (
    <form action={action} className="flex flex-wrap items-center gap-2">
      <input type="hidden" name="id" value={id} />
      <button type="submit" disabled={pending} aria-label={`Test connection to ${name}`} className="min-h-11 rounded-lg border border-slate-300 px-3 disabled:opacity-60">
        {pending ? "Testing…" : "Test connection"}
      </button>
      {state.message ? <span role="status" className={state.ok ? "text-emerald-700" : "text-red-700"}>{state.message}</span> : null}
    </form>
  );
}
