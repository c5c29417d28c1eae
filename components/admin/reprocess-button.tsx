"use client";

import { useActionState } from "react";
import { reprocess, type TReprocessState } from "@/app/(clinical)/admin/hl7/[id]/actions";

export function ReprocessButton({ id }: { id: string }) {
  const [state, action, pending] = useActionState<TReprocessState, FormData>(reprocess, { message: "" });

  return (
    <form action={action} className="flex items-center gap-3">
      <input type="hidden" name="id" value={id} />
      <button type="submit" disabled={pending} className="h-11 rounded-lg bg-brand-600 px-5 font-semibold text-white disabled:opacity-60">Reprocess</button>
      {state.message ? <span role="status">{state.message}</span> : null}
    </form>
  );
}
