import Link from "next/link";
import { getPageUser } from "@/lib/auth/get-page-user";

export const metadata = { title: "Administration – Encounter Capture" };

const SECTIONS = [
  { href: "/admin/users", title: "Users", text: "People, roles (clinician, manager, admin) and their departments; deactivate, reset passwords." },
  { href: "/admin/tokens", title: "API tokens", text: "Bearer tokens for other systems: create (shown once), revoke, see last use." },
  { href: "/admin/audit", title: "Audit log", text: "Who viewed, captured or changed what, for which patient, when; filter and export." },
  { href: "/catalog", title: "Procedure catalogs", text: "Every department's catalog: codes, media, defaults, routing bucket, versions." },
  { href: "/admin/facilities", title: "Facilities", text: "Hospitals and sites, and which identifier is the patient's MRN." },
  { href: "/admin/locations", title: "Location map", text: "Which department sees the patients at each point of care." },
  { href: "/admin/destinations", title: "Destinations", text: "Archives (VNA/PACS) the app delivers to, their queues and failures." },
  { href: "/admin/routing", title: "Routing rules", text: "Which captures go to which destinations, with which identity." },
  { href: "/admin/hl7", title: "HL7 messages", text: "The inbound ADT log: every message, its ACK and errors; reprocess." },
  { href: "/admin/identity-changes", title: "Identity changes", text: "Merges and identifier changes that touch images already archived." },
] as const;

export default async function AdminPage() {
  await getPageUser(["admin"]);

  return (
    <main className="mx-auto max-w-6xl space-y-5 px-4 py-6">
      <h1 className="text-2xl font-semibold">Administration</h1>
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {SECTIONS.map((s) => (
          <li key={s.href}>
            <Link href={s.href} className="block h-full min-h-24 rounded-xl bg-white p-4 ring-1 ring-slate-200 hover:ring-brand-600 focus-visible:outline-3 focus-visible:outline-brand-600">
              <span className="text-lg font-semibold text-brand-700">{s.title}</span>
              <span className="mt-1 block text-sm text-slate-700">{s.text}</span>
            </Link>
          </li>
        ))}
      </ul>
    </main>
  );
}
