import Link from "next/link";
import { getPageUser } from "@/lib/auth/get-page-user";
import type { TRole } from "@/lib/auth/roles";
import { SignOutButton } from "@/components/ui/sign-out-button";

export const dynamic = "force-dynamic";

/** Main navigation by role: clinicians the worklist; managers also their catalogs; admins also administration. */
const NAV: { href: string; label: string; roles: TRole[] }[] = [
  { href: "/worklist", label: "Worklist", roles: ["clinician", "manager", "admin"] },
  { href: "/catalog", label: "Catalog", roles: ["manager", "admin"] },
  { href: "/admin", label: "Admin", roles: ["admin"] },
  { href: "/admin/users", label: "Users", roles: ["admin"] },
  { href: "/admin/audit", label: "Audit log", roles: ["admin"] },
];

export default async function ClinicalLayout({ children }: { children: React.ReactNode }) {
  const user = await getPageUser();

  return (
    <div className="min-h-screen">
      <header className="bg-brand-900 text-white">
        <nav className="mx-auto flex max-w-6xl flex-wrap items-center gap-1 px-4 py-2" aria-label="Main">
          <Link href="/worklist" className="mr-auto inline-flex min-h-11 items-center rounded-lg text-lg font-semibold focus-visible:outline-2 focus-visible:outline-white">Encounter Capture</Link>
          {NAV.filter((n) => n.roles.includes(user.role)).map((n) => (
            <Link key={n.href} href={n.href} className="inline-flex min-h-11 items-center rounded-lg px-3 text-sm font-medium hover:bg-white/10 focus-visible:outline-2 focus-visible:outline-white">{n.label}</Link>
          ))}
          <span className="hidden px-2 text-sm text-white/80 sm:inline" data-testid="signed-in-user">{user.name} · {user.role}</span>
          <SignOutButton />
        </nav>
      </header>
      {children}
    </div>
  );
}
