import Link from "next/link";
import { getPageUser } from "@/lib/auth/get-page-user";
import { findBodySite } from "@/lib/catalog/body-sites";
import { findDepartmentCatalog } from "@/lib/catalog/find-department-catalog";
import { getDepartment } from "@/lib/catalog/get-department";
import { listCatalogDepartments } from "@/lib/catalog/list-catalog-departments";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { CatalogTable, type TCatalogRow } from "@/components/catalog/catalog-table";
import { CatalogImportForm } from "@/components/catalog/catalog-import-form";
import { AccessDenied } from "@/components/catalog/access-denied";

export const metadata = { title: "Catalog – Encounter Capture" };

export default async function CatalogPage({ searchParams }: { searchParams: Promise<{ department?: string }> }) {
  const user = await getPageUser();
  if (user.role === "clinician") {
    return <AccessDenied message="The catalog is maintained by your department's managers." back={{ href: "/worklist", label: "Back to the worklist" }} />;
  }
  const db = getDb();
  const departments = await listCatalogDepartments(db, user);
  const { department: wanted } = await searchParams;
  const code = wanted ?? departments[0]?.code;
  if (!code) {
    return <main className="mx-auto max-w-6xl px-4 py-6"><h1 className="text-2xl font-semibold">Procedure catalog</h1><p className="mt-4">You manage no department yet. Ask an admin.</p></main>;
  }
  let department: { id: string; code: string; name: string };
  let items: Awaited<ReturnType<typeof findDepartmentCatalog>>;
  try {
    department = await getDepartment(db, code);
    items = await findDepartmentCatalog(db, user, department.id);
  } catch (error) {
    if (error instanceof AppError && (error.code === "forbidden" || error.code === "not_found")) {
      return <AccessDenied message={error.code === "forbidden" ? `You do not manage the catalog of ${code}.` : `There is no department ${code}.`} />;
    }
    throw error;
  }
  const rows: TCatalogRow[] = items.map((i) => ({
    id: i.id,
    code: i.code,
    scheme: i.scheme,
    meaning: i.meaning,
    mapping: i.mappedScheme ? `${i.mappedScheme} ${i.mappedCode}` : "",
    modality: i.modality,
    allowedMedia: i.allowedMedia.join(", "),
    bodySite: findBodySite(i.bodySiteCode)?.meaning ?? "",
    requireBodySite: i.requireBodySite,
    laterality: i.laterality,
    bucket: i.routingRuleName,
    active: i.active,
    version: i.version,
    studies: i.usage.studies,
    last30Days: i.usage.last30Days,
    lastUsed: i.usage.lastUsedAt ? i.usage.lastUsedAt.toISOString().slice(0, 10) : "",
  }));
  const tab = "inline-flex min-h-11 items-center rounded-lg px-4 font-medium";
  const button = "inline-flex min-h-11 items-center rounded-lg px-4 font-semibold";

  return (
    <main className="mx-auto max-w-6xl space-y-5 px-4 py-6">
      <h1 className="text-2xl font-semibold">Procedure catalog</h1>
      <nav aria-label="Departments" className="flex flex-wrap gap-2">
        {departments.map((d) => (
          <Link key={d.id} href={`/catalog?department=${encodeURIComponent(d.code)}`} aria-current={d.code === department.code ? "page" : undefined}
            className={`${tab} ${d.code === department.code ? "bg-brand-600 text-white" : "bg-white text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50"}`}>
            {d.name} <span className="ml-1 text-sm opacity-80">({d.code})</span>
          </Link>
        ))}
      </nav>
      <p className="text-slate-700">
        What clinicians of {department.name} choose from when they capture, in this order. Changes apply to new captures at once; each change is a
        new version, and every capture records the version it used. Items that were used cannot be deleted — deactivate them.
      </p>
      <div className="flex flex-wrap items-start gap-3">
        <Link href={`/catalog/new?department=${encodeURIComponent(department.code)}`} className={`${button} bg-brand-600 text-white`}>New item</Link>
        <a href={`/catalog/export?department=${encodeURIComponent(department.code)}`} download className={`${button} bg-white text-brand-700 ring-1 ring-brand-600`}>Export CSV</a>
        <CatalogImportForm departmentId={department.id} departmentName={department.name} />
      </div>
      <CatalogTable items={rows} departmentName={department.name} />
    </main>
  );
}
