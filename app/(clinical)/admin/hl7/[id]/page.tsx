import { notFound } from "next/navigation";
import Link from "next/link";
import { getPageUser } from "@/lib/auth/get-page-user";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { getDb } from "@/lib/db";
import { describeMessage } from "@/lib/hl7/describe-message";
import { ReprocessButton } from "@/components/admin/reprocess-button";

export const metadata = { title: "HL7 message – Encounter Capture" };

export default async function Hl7MessagePage({ params }: { params: Promise<{ id: string }> }) {
  const user = await getPageUser(["admin"]);
  const { id } = await params;
  const db = getDb();
  const m = await db.hl7Message.findUnique({ where: { id } });
  if (!m) {
    notFound();
  }
  await recordAuditEvent(db, { action: "hl7.view", userId: user.id, patientId: m.patientId, subject: m.id, source: "web" });
  const segments = describeMessage(m.raw, m.version);

  return (
    <main className="mx-auto max-w-6xl space-y-4 px-4 py-6">
      <Link href="/admin/hl7" className="text-brand-700 underline">← All messages</Link>
      <h1 className="text-2xl font-semibold">{m.messageType}{m.triggerEvent ? `^${m.triggerEvent}` : ""} · {m.controlId ?? "no control id"}</h1>
      <dl className="grid grid-cols-2 gap-2 rounded-xl bg-white p-4 text-sm ring-1 ring-slate-200 sm:grid-cols-4">
        <div><dt className="text-slate-500">Received</dt><dd>{m.receivedAt.toLocaleString()}</dd></div>
        <div><dt className="text-slate-500">Sender</dt><dd>{m.sendingApp}@{m.sendingFacility}</dd></div>
        <div><dt className="text-slate-500">Status</dt><dd>{m.status} (ACK {m.ackCode})</dd></div>
        <div><dt className="text-slate-500">Version</dt><dd>{m.version}</dd></div>
        {m.error ? <div className="col-span-full"><dt className="text-slate-500">Error</dt><dd className="text-red-700">{m.error}</dd></div> : null}
      </dl>
      {m.status !== "processed" ? <ReprocessButton id={m.id} /> : null}
      {segments.map((seg, i) => (
        <section key={i} className="rounded-xl bg-white ring-1 ring-slate-200">
          <h2 className="border-b border-slate-100 px-4 py-2 font-semibold">{seg.name} <span className="font-normal text-slate-500">{seg.description}</span></h2>
          <table className="w-full text-left text-sm"><tbody>
            {seg.fields.map((f) => (
              <tr key={f.position} className="border-t border-slate-50"><td className="w-24 px-4 py-1 font-mono text-xs">{f.position}</td><td className="w-64 px-2 py-1 text-slate-600">{f.name}</td><td className="px-2 py-1 font-mono text-xs break-all">{f.value}</td></tr>
            ))}
          </tbody></table>
        </section>
      ))}
      <details className="rounded-xl bg-white p-4 ring-1 ring-slate-200"><summary className="cursor-pointer font-semibold">ACK sent</summary><pre className="mt-2 overflow-x-auto text-xs">{m.ack.replace(/\r/g, "\n")}</pre></details>
    </main>
  );
}
