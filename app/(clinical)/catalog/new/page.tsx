import Link from "next/link";
import { getPageUser } from "@/lib/auth/get-page-user";
import { canManageCatalog } from "@/lib/catalog/assert-catalog-access";
import { getDepartment } from "@/lib/catalog/get-department";
import { getDb } from "@/lib/db";
import { AccessDenied } from "@/components/catalog/access-denied";
import { CatalogItemForm } from "@/components/catalog/catalog-item-form";
import { itemFormOptions } from "../item-form-options";

export const metadata = { title: "New catalog item – Encounter Capture" };

export default async function NewCatalogItemPage({ searchParams }: { searchParams: Promise<{ department?: string }> }) {
  const user = await getPageUser();
  if (user.role === "clinician") {
    return <AccessDenied message="The catalog is maintained by your department's managers." back={{ href: "/worklist", label: "Back to the worklist" }} />;
  }
  const db = getDb();
  const { department: code = "" } = await searchParams;
  const department = await getDepartment(db, code).catch(() => null);
  // Only a hint here: saveCatalogItem checks (and audits) access again.
  if (!department || !canManageCatalog(user, department.id)) {
    return <AccessDenied message={`You do not manage the catalog of ${code || "this department"}.`} />;
  }
  const options = await itemFormOptions(db);

  return (
    <main className="mx-auto max-w-4xl space-y-4 px-4 py-6">
      <Link href={`/catalog?department=${encodeURIComponent(department.code)}`} className="inline-flex min-h-11 items-center text-brand-700 underline">← {department.name} catalog</Link>
      <h1 className="text-2xl font-semibold">New item for {department.name}</h1>
      <CatalogItemForm
        values={{ departmentId: department.id, code: "", scheme: "99EC", meaning: "", modality: "XC", allowedMedia: ["photo", "video"], bodySiteCode: "", requireBodySite: false, laterality: "", mappedCode: "", mappedScheme: "", mappedMeaning: "", routingRuleId: "" }}
        {...options}
      />
    </main>
  );
}
