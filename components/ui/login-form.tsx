"use client";

import { signIn } from "next-auth/react";
import { useState } from "react";

export function LoginForm({ callbackUrl }: { callbackUrl: string }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const onSubmit = async (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError("");
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setBusy(false);
    if (!result || result.error) {
      setError("E-mail or password is not right.");
      return;
    }
    window.location.assign(callbackUrl);
  };

  return (
    <form onSubmit={onSubmit} className="space-y-5 rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200">
      <label className="block">
        <span className="mb-1 block text-sm font-medium text-slate-700">E-mail</span>
        <input name="email" type="email" autoComplete="username" required className="h-12 w-full rounded-lg border border-slate-300 px-3 text-lg focus:outline-2 focus:outline-brand-600" />
      </label>
      <label className="block">
        <span className="mb-1 block text-sm font-medium text-slate-700">Password</span>
        <input name="password" type="password" autoComplete="current-password" required className="h-12 w-full rounded-lg border border-slate-300 px-3 text-lg focus:outline-2 focus:outline-brand-600" />
      </label>
      {error ? <p role="alert" className="text-sm font-medium text-red-700">{error}</p> : null}
      <button type="submit" disabled={busy} className="h-12 w-full rounded-lg bg-brand-600 text-lg font-semibold text-white hover:bg-brand-700 disabled:opacity-60">
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
