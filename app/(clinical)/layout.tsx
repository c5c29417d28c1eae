import Link from "next/link";
import { getPageUser } from "@/lib/auth/get-page-user";
import { SignOutButton } from "@/components/ui/sign-out-button";

export const dynamic = "force-dynamic";

export default async function ClinicalLayout({ children }: { children: React.ReactNode }) {
  const user = await getPageUser();

  return (
    <div className="min-h-screen">
      <header className="bg-brand-900 text-white">
        <nav className="mx-auto flex max-w-6xl flex-wrap items-center gap-1 px-4 py-2" aria-label="Main">
          <Link href="/worklist" className="mr-auto text-lg font-semibold">Encounter Capture</Link>
          <Link href="/worklist" className="rounded-lg px-3 py-2 text-sm font-medium hover:bg-white/10">Worklist</Link>
          {user.role === "admin" ? (
            <>
              <Link href="/admin/destinations" className="rounded-lg px-3 py-2 text-sm font-medium hover:bg-white/10">Destinations</Link>
              <Link href="/admin/routing" className="rounded-lg px-3 py-2 text-sm font-medium hover:bg-white/10">Routing</Link>
              <Link href="/admin/facilities" className="rounded-lg px-3 py-2 text-sm font-medium hover:bg-white/10">Facilities</Link>
              <Link href="/admin/locations" className="rounded-lg px-3 py-2 text-sm font-medium hover:bg-white/10">Locations</Link>
              <Link href="/admin/hl7" className="rounded-lg px-3 py-2 text-sm font-medium hover:bg-white/10">HL7 log</Link>
              <Link href="/admin/identity-changes" className="rounded-lg px-3 py-2 text-sm font-medium hover:bg-white/10">Identity changes</Link>
            </>
          ) : null}
          <span className="hidden px-2 text-sm text-white/80 sm:inline" data-testid="signed-in-user">{user.name}</span>
          <SignOutButton />
        </nav>
      </header>
      {children}
    </div>
  );
}
