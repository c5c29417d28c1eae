import Link from "next/link";
import { getPageUser } from "@/lib/auth/get-page-user";
import { getDb } from "@/lib/db";
import { findMessages, MESSAGES_PER_PAGE } from "@/lib/hl7/find-messages";

export const metadata = { title: "HL7 messages – Encounter Capture" };

type TSearch = { type?: string; status?: string; mrn?: string; from?: string; to?: string; page?: string };
const STATUS_STYLE: Record<string, string> = { processed: "bg-emerald-100 text-emerald-800", error: "bg-red-100 text-red-800", rejected: "bg-amber-100 text-amber-800" };

export default async function Hl7MessagesPage({ searchParams }: { searchParams: Promise<TSearch> }) {
  await getPageUser(["admin"]);
  const s = await searchParams;
  const { total, page, rows } = await findMessages(getDb(), { ...s, page: Number(s.page ?? 0) || 0 });
  const pages = Math.max(1, Math.ceil(total / MESSAGES_PER_PAGE));
  const link = (p: number) => `?${new URLSearchParams({ ...Object.fromEntries(Object.entries(s).filter(([, v]) => v)), page: String(p) })}`;
  const input = "h-11 rounded-lg border border-slate-300 bg-white px-3";

  return (
    <main className="mx-auto max-w-6xl space-y-4 px-4 py-6">
      <h1 className="text-2xl font-semibold">Inbound HL7 messages</h1>
      <form className="flex flex-wrap items-end gap-3" aria-label="Filter messages">
        <label className="block"><span className="block text-sm font-medium">Type</span><input name="type" defaultValue={s.type} placeholder="ADT^A08" className={`${input} w-32`} /></label>
        <label className="block"><span className="block text-sm font-medium">Status</span>
          <select name="status" defaultValue={s.status ?? ""} className={input}>
            <option value="">any</option><option value="processed">processed</option><option value="error">error</option><option value="rejected">rejected</option>
          </select>
        </label>
        <label className="block"><span className="block text-sm font-medium">MRN</span><input name="mrn" defaultValue={s.mrn} className={`${input} w-36`} /></label>
        <label className="block"><span className="block text-sm font-medium">From</span><input name="from" type="date" defaultValue={s.from} className={input} /></label>
        <label className="block"><span className="block text-sm font-medium">To</span><input name="to" type="date" defaultValue={s.to} className={input} /></label>
        <button type="submit" className="h-11 rounded-lg bg-brand-600 px-5 font-semibold text-white">Filter</button>
      </form>
      <p className="text-sm text-slate-600">{total} message(s)</p>
      <div className="overflow-x-auto rounded-xl bg-white ring-1 ring-slate-200">
        <table className="w-full text-left text-sm">
          <thead className="bg-slate-100"><tr><th className="p-2">Received</th><th className="p-2">Type</th><th className="p-2">Sender</th><th className="p-2">Control id</th><th className="p-2">Status</th><th className="p-2">ACK</th><th className="p-2">Error</th></tr></thead>
          <tbody>
            {rows.map((m) => (
              <tr key={m.id} className="border-t border-slate-100">
                <td className="p-2 whitespace-nowrap"><Link className="text-brand-700 underline" href={`/admin/hl7/${m.id}`}>{m.receivedAt.toLocaleString()}</Link></td>
                <td className="p-2">{m.messageType}{m.triggerEvent ? `^${m.triggerEvent}` : ""} <span className="text-slate-500">{m.version}</span></td>
                <td className="p-2">{m.sendingApp}@{m.sendingFacility}</td>
                <td className="p-2 font-mono text-xs">{m.controlId ?? "–"}</td>
                <td className="p-2"><span className={`rounded-full px-2 py-0.5 ${STATUS_STYLE[m.status] ?? ""}`}>{m.status}</span></td>
                <td className="p-2">{m.ackCode}</td>
                <td className="p-2 text-xs text-slate-600">{m.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav className="flex gap-3" aria-label="Pages">
        {page > 0 ? <Link href={link(page - 1)} className="rounded-lg border px-3 py-2">Newer</Link> : null}
        <span className="px-3 py-2 text-sm">Page {page + 1} of {pages}</span>
        {page + 1 < pages ? <Link href={link(page + 1)} className="rounded-lg border px-3 py-2">Older</Link> : null}
      </nav>
    </main>
  );
}
