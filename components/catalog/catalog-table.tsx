"use client";

import Link from "next/link";
import { useEffect, useState, useTransition } from "react";
import { moveCatalogItemAction } from "@/app/(clinical)/catalog/actions";

export type TCatalogRow = {
  id: string;
  code: string;
  scheme: string;
  meaning: string;
  mapping: string;
  modality: string;
  allowedMedia: string;
  bodySite: string;
  requireBodySite: boolean;
  laterality: string;
  bucket: string;
  active: boolean;
  version: number;
  studies: number;
  last30Days: number;
  lastUsed: string;
};

const SIDE: Record<string, string> = { R: "right", L: "left", B: "both", U: "unpaired" };

/**
 * A department's catalog in display order, with keyboard-operable up/down buttons: after a move the focus stays on
 * the moved item's button and a live region says where it went.
 */
export function CatalogTable({ items, departmentName }: { items: TCatalogRow[]; departmentName: string }) {
  const [status, setStatus] = useState("");
  const [pending, startTransition] = useTransition();
  const [focus, setFocus] = useState<{ id: string; direction: "up" | "down" } | null>(null);

  // The moved row's DOM node is re-inserted when the new order arrives, which drops the focus: put it back on the
  // same button (or its sibling when the item reached an end and that button is disabled).
  useEffect(() => {
    if (!focus) return;
    const same = document.getElementById(`move-${focus.direction}-${focus.id}`) as HTMLButtonElement | null;
    const other = document.getElementById(`move-${focus.direction === "up" ? "down" : "up"}-${focus.id}`) as HTMLButtonElement | null;
    (same && !same.disabled ? same : other)?.focus();
  }, [items, focus]);

  const move = (row: TCatalogRow, direction: "up" | "down") => {
    if (pending) return;
    startTransition(async () => {
      const result = await moveCatalogItemAction(row.id, direction);
      if (!result.ok) {
        setStatus(result.message);
        return;
      }
      const position = (result.position ?? 0) + 1;
      setStatus(`Moved “${row.meaning}” to position ${position} of ${items.length}.`);
      setFocus({ id: row.id, direction });
    });
  };

  const orderButton = "inline-flex size-11 items-center justify-center rounded-lg bg-white text-lg ring-1 ring-slate-300 hover:bg-slate-50 focus-visible:outline-3 focus-visible:outline-brand-600 disabled:opacity-40";

  return (
    <section aria-label={`${departmentName} catalog`} className="space-y-2">
      <p role="status" aria-live="polite" className="min-h-6 text-sm text-slate-700">{status}</p>
      {items.length === 0 ? <p className="text-slate-600">No items yet.</p> : null}
      <div className="overflow-x-auto rounded-xl bg-white ring-1 ring-slate-200">
        <table className="w-full text-left text-sm">
          <caption className="sr-only">{departmentName} catalog, in the order clinicians see it</caption>
          <thead className="bg-slate-100 text-slate-700">
            <tr>
              <th scope="col" className="p-3">Order</th>
              <th scope="col" className="p-3">Procedure</th>
              <th scope="col" className="p-3">Produces</th>
              <th scope="col" className="p-3">Defaults</th>
              <th scope="col" className="p-3">Status</th>
              <th scope="col" className="p-3">Usage</th>
            </tr>
          </thead>
          <tbody>
            {items.map((row, n) => (
              <tr key={row.id} className={`border-t border-slate-100 align-top ${row.active ? "" : "bg-slate-50 text-slate-600"}`} data-testid="catalog-row">
                <td className="p-3">
                  <div className="flex items-center gap-1">
                    <span className="w-6 text-right font-mono text-slate-600" aria-hidden="true">{n + 1}</span>
                    <button type="button" id={`move-up-${row.id}`} className={orderButton} disabled={n === 0} aria-disabled={pending || undefined}
                      aria-label={`Move ${row.meaning} up`} onClick={() => move(row, "up")}>↑</button>
                    <button type="button" id={`move-down-${row.id}`} className={orderButton} disabled={n === items.length - 1} aria-disabled={pending || undefined}
                      aria-label={`Move ${row.meaning} down`} onClick={() => move(row, "down")}>↓</button>
                  </div>
                </td>
                <td className="p-3">
                  <Link href={`/catalog/${row.id}`} className="inline-flex min-h-11 items-center font-semibold text-brand-700 underline">{row.meaning}</Link>
                  <div className="font-mono text-xs text-slate-600">{row.code} ({row.scheme}){row.mapping ? ` → ${row.mapping}` : ""} · v{row.version}</div>
                </td>
                <td className="p-3">{row.modality}<div className="text-xs text-slate-600">{row.allowedMedia}</div></td>
                <td className="p-3 text-xs">
                  {row.bodySite || "—"}{row.requireBodySite ? " (required)" : ""}
                  {row.laterality ? <div>Side: {SIDE[row.laterality] ?? row.laterality}</div> : null}
                  <div>Bucket: {row.bucket || "rules decide"}</div>
                </td>
                <td className="p-3">
                  <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${row.active ? "bg-emerald-100 text-emerald-900" : "bg-slate-200 text-slate-800"}`}>
                    {row.active ? "Active" : "Inactive"}
                  </span>
                </td>
                <td className="p-3 text-xs" data-testid="usage">
                  <div className="text-sm font-semibold text-slate-900">{row.studies} capture{row.studies === 1 ? "" : "s"}</div>
                  <div>{row.last30Days} in 30 days</div>
                  <div>{row.lastUsed ? `last ${row.lastUsed}` : "never used"}</div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
