import Link from "next/link";

/** Shown instead of a catalog the caller may not maintain (the refusal itself is audited in lib). */
export function AccessDenied({ message, back = { href: "/catalog", label: "Back to your catalog" } }: { message: string; back?: { href: string; label: string } }) {
  return (
    <main className="mx-auto max-w-3xl px-4 py-10">
      <h1 className="text-2xl font-semibold">Not available</h1>
      <p role="alert" className="mt-4 rounded-xl bg-red-50 p-4 text-red-800 ring-1 ring-red-200">{message}</p>
      <Link href={back.href} className="mt-6 inline-flex min-h-11 items-center rounded-lg bg-brand-600 px-4 font-semibold text-white">{back.label}</Link>
    </main>
  );
}
