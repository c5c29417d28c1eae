import Link from "next/link";
import { notFound } from "next/navigation";
import { getPageUser } from "@/lib/auth/get-page-user";
import { findBodySite } from "@/lib/catalog/body-sites";
import { getCatalogItem, type TCatalogItemDetail } from "@/lib/catalog/get-catalog-item";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { AccessDenied } from "@/components/catalog/access-denied";
import { CatalogItemForm } from "@/components/catalog/catalog-item-form";
import { CatalogItemStatus } from "@/components/catalog/catalog-item-status";
import { itemFormOptions } from "../item-form-options";

export const metadata = { title: "Catalog item – Encounter Capture" };

const LABEL: Record<string, string> = {
  code: "Local code", scheme: "Coding scheme", meaning: "Display text", modality: "Modality", allowedMedia: "Allowed media",
  bodySiteCode: "Default body site", requireBodySite: "Body site required", laterality: "Default laterality",
  mappedCode: "Mapped code", mappedScheme: "Mapping scheme", mappedMeaning: "Mapped meaning", routingRuleId: "Routing bucket",
  active: "Active", sortOrder: "Sort order",
};

const show = (key: string, value: unknown, buckets: { value: string; label: string }[]): string => {
  if (key === "routingRuleId" && typeof value === "string" && value) return buckets.find((b) => b.value === value)?.label ?? value;
  if (key === "bodySiteCode" && typeof value === "string") return value ? `${findBodySite(value)?.meaning ?? ""} (${value})` : "none";
  if (Array.isArray(value)) return value.join(", ");
  if (value === null || value === "") return "none";
  return String(value);
};

export default async function CatalogItemPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ created?: string }> }) {
  const user = await getPageUser();
  if (user.role === "clinician") {
    return <AccessDenied message="The catalog is maintained by your department's managers." back={{ href: "/worklist", label: "Back to the worklist" }} />;
  }
  const db = getDb();
  const { id } = await params;
  const { created } = await searchParams;
  let item: TCatalogItemDetail;
  try {
    item = await getCatalogItem(db, user, id);
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") notFound();
    if (error instanceof AppError && error.code === "forbidden") return <AccessDenied message="You do not manage the catalog this item belongs to." />;
    throw error;
  }
  const options = await itemFormOptions(db);

  return (
    <main className="mx-auto max-w-4xl space-y-5 px-4 py-6">
      <Link href={`/catalog?department=${encodeURIComponent(item.departmentCode)}`} className="inline-flex min-h-11 items-center text-brand-700 underline">← {item.departmentCode} catalog</Link>
      <div className="flex flex-wrap items-baseline gap-3">
        <h1 className="text-2xl font-semibold">{item.meaning}</h1>
        <span className={`rounded-full px-2 py-0.5 text-sm font-semibold ${item.active ? "bg-emerald-100 text-emerald-900" : "bg-slate-200 text-slate-800"}`}>{item.active ? "Active" : "Inactive"}</span>
        <span className="text-slate-700">version {item.version} · used for {item.studies} capture{item.studies === 1 ? "" : "s"}</span>
      </div>
      {created && item.version === 1 ? <p role="status" className="text-emerald-800">Created as version 1.</p> : null}
      <CatalogItemForm
        values={{
          id: item.id, version: item.version, departmentId: item.departmentId, code: item.code, scheme: item.scheme, meaning: item.meaning,
          modality: item.modality, allowedMedia: item.allowedMedia, bodySiteCode: item.bodySiteCode, requireBodySite: item.requireBodySite,
          laterality: item.laterality, mappedCode: item.mappedCode, mappedScheme: item.mappedScheme, mappedMeaning: item.mappedMeaning,
          routingRuleId: item.routingRuleId ?? "",
        }}
        {...options}
      />
      <CatalogItemStatus id={item.id} active={item.active} used={item.studies > 0} departmentCode={item.departmentCode} />
      <section aria-labelledby="history" className="space-y-2">
        <h2 id="history" className="text-lg font-semibold">Version history</h2>
        {item.history.length === 0 ? <p className="text-slate-700">Unchanged since it was set up (version 1).</p> : null}
        <ol className="space-y-2">
          {item.history.map((v) => (
            <li key={v.version} className="rounded-xl bg-white p-3 ring-1 ring-slate-200" data-testid="version">
              <details>
                <summary className="flex min-h-11 cursor-pointer flex-wrap items-center gap-x-3">
                  <span className="font-semibold">Version {v.version}</span>
                  <span className="text-sm text-slate-700">{v.at.toISOString().replace("T", " ").slice(0, 16)} UTC · {v.by}</span>
                  <span className="text-sm">{v.version === 1 || v.changed.length === Object.keys(v.snapshot).length ? "created" : `changed: ${v.changed.map((k) => LABEL[k] ?? k).join(", ")}`}</span>
                  <span className="text-sm text-slate-700">· {v.studies} capture{v.studies === 1 ? "" : "s"} with this version</span>
                </summary>
                <dl className="mt-2 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
                  {Object.entries(v.snapshot).map(([k, val]) => (
                    <div key={k} className="contents"><dt className="text-slate-600">{LABEL[k] ?? k}</dt><dd className={`font-mono ${v.changed.includes(k) ? "font-bold" : ""}`}>{show(k, val, options.buckets)}</dd></div>
                  ))}
                </dl>
              </details>
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}
