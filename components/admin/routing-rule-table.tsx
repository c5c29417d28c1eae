import Link from "next/link";
import { moveRuleAction, toggleRuleAction } from "@/app/(clinical)/admin/routing/actions";
import type { TRoutingOptions } from "@/lib/forwarding/find-routing-options";
import type { TRoutingRuleView } from "@/lib/forwarding/find-routing-rules";

type TVersion = TRoutingRuleView["versions"][number];

/** "facility GENHOSP · modality XC", or "everything". */
export const conditionsText = (v: TVersion, options: TRoutingOptions): string => {
  const item = options.catalogItems.find((c) => c.id === v.catalogItemId);
  const sop = options.sopClasses.find((s) => s.uid === v.sopClassUid);
  const parts = [
    v.facilityCode && `facility ${v.facilityCode}`,
    v.departmentCode && `department ${v.departmentCode}`,
    v.catalogItemId && `item ${item ? item.code : v.catalogItemId}`,
    v.modality && `modality ${v.modality}`,
    v.sopClassUid && `IOD ${sop ? sop.label : v.sopClassUid}`,
  ].filter(Boolean);

  return parts.length > 0 ? parts.join(" · ") : "every capture";
};

export const identityText = (v: TVersion): string =>
  [
    v.issuerOfPatientId && `Issuer ${v.issuerOfPatientId}`,
    v.institutionName && `Institution ${v.institutionName}`,
    v.institutionDepartmentName && `Dept. ${v.institutionDepartmentName}`,
    v.sourceSystemCode && `Source ${v.sourceSystemCode}`,
  ].filter(Boolean).join(" · ") || "as captured";

/** The rules in evaluation order, with move up/down, activate/deactivate and a link to edit and history. */
export function RoutingRuleTable({ rules, options }: { rules: TRoutingRuleView[]; options: TRoutingOptions }) {
  return (
    <div className="overflow-x-auto rounded-xl bg-white ring-1 ring-slate-200">
      <table className="w-full text-left text-sm" data-testid="routing-rules">
        <caption className="sr-only">Routing rules in evaluation order</caption>
        <thead className="bg-slate-100">
          <tr><th className="p-3">Order</th><th className="p-3">Rule</th><th className="p-3">Conditions</th><th className="p-3">Destinations</th><th className="p-3">Identity</th><th className="p-3">Version</th><th className="p-3">State</th></tr>
        </thead>
        <tbody>
          {rules.map((r, i) => (
            <tr key={r.id} className={`border-t border-slate-100 align-top ${r.active ? "" : "text-slate-500"}`}>
              <td className="p-2">
                <div className="flex gap-1">
                  {(["up", "down"] as const).map((direction) => (
                    <form key={direction} action={moveRuleAction}>
                      <input type="hidden" name="id" value={r.id} />
                      <input type="hidden" name="direction" value={direction} />
                      <button type="submit" disabled={direction === "up" ? i === 0 : i === rules.length - 1} aria-label={`Move ${r.name} ${direction}`} className="size-11 rounded-lg border border-slate-300 disabled:opacity-40">{direction === "up" ? "↑" : "↓"}</button>
                    </form>
                  ))}
                </div>
              </td>
              <td className="p-3 font-medium">
                <Link href={`/admin/routing/${r.id}`} className="text-brand-700 underline">{r.name}</Link>
                {r.catalogItems.length > 0 ? <p className="text-xs font-normal text-slate-600">Bucket of {r.catalogItems.map((c) => c.code).join(", ")}</p> : null}
              </td>
              <td className="p-3">{r.current ? conditionsText(r.current, options) : "–"}</td>
              <td className="p-3">{r.current?.targets.map((t) => t.destination.name).join(", ") || "–"}</td>
              <td className="p-3">{r.current ? identityText(r.current) : "–"}</td>
              <td className="p-3"><Link href={`/admin/routing/${r.id}#history`} className="text-brand-700 underline">v{r.currentVersion}</Link></td>
              <td className="p-2">
                <form action={toggleRuleAction}>
                  <input type="hidden" name="id" value={r.id} />
                  <input type="hidden" name="active" value={r.active ? "false" : "true"} />
                  <button type="submit" className="min-h-11 rounded-lg border border-slate-300 px-3">{r.active ? "Active – deactivate" : "Inactive – activate"}</button>
                </form>
              </td>
            </tr>
          ))}
          {rules.length === 0 ? (
            <tr><td colSpan={7} className="p-3 text-slate-600">No rules: every capture goes to every enabled destination, with its identity as captured.</td></tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
