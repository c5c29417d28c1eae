"use client";

import { signOut } from "next-auth/react";

export function SignOutButton() {
  return (
    <button type="button" onClick={() => signOut({ callbackUrl: "/login" })} className="rounded-lg px-3 py-2 text-sm font-medium text-white/90 hover:bg-white/10">
      Sign out
    </button>
  );
}
