"use client";

import { useEffect, useState } from "react";
import type { TCapture, TDeliveryStatus } from "@/lib/capture/get-capture";

const LABEL: Record<TDeliveryStatus, string> = { queued: "queued", sending: "sending", stored: "stored in archive", failed: "failed" };
const STYLE: Record<TDeliveryStatus, string> = {
  queued: "bg-slate-100 text-slate-700",
  sending: "bg-sky-100 text-sky-800",
  stored: "bg-emerald-100 text-emerald-800",
  failed: "bg-red-100 text-red-800",
};

/** Follows one capture until every photo is stored or failed (polls once a second, no reload). */
/** What the user captured, by the object it became (video and multi-frame classes, else a photo/image). */
const kindOfSopClass = (uid: string): string =>
  ["1.2.840.10008.5.1.4.1.1.77.1.4.1", "1.2.840.10008.5.1.4.1.1.77.1.1.1", "1.2.840.10008.5.1.4.1.1.3.1"].includes(uid)
    ? "Video"
    : uid === "1.2.840.10008.5.1.4.1.1.6.1"
      ? "Ultrasound"
      : "Photo";

export function CaptureStatus({ initial }: { initial: TCapture }) {
  const [capture, setCapture] = useState(initial);
  const done = capture.instances.every((i) => i.status === "stored" || i.status === "failed");

  useEffect(() => {
    if (done) return;
    const t = setTimeout(async () => {
      const res = await fetch(`/api/v1/captures/${capture.id}`, { cache: "no-store" }).catch(() => null);
      if (res?.ok) setCapture((await res.json()) as TCapture);
      else setCapture((c) => ({ ...c }));
    }, 1000);
    return () => clearTimeout(t);
  }, [capture, done]);

  return (
    <section aria-label="Sent photos" className="rounded-xl bg-white p-4 ring-1 ring-slate-200">
      <h2 className="mb-2 font-semibold">Sent {new Date(capture.createdAt).toLocaleTimeString()}</h2>
      <ul className="divide-y divide-slate-100">
        {capture.instances.map((i) => (
          <li key={i.sopInstanceUid} className="flex flex-wrap items-center justify-between gap-2 py-2">
            <span className="text-sm">{kindOfSopClass(i.sopClassUid)} {i.instanceNumber}{i.originalName ? ` · ${i.originalName}` : ""}</span>
            <span className={`rounded-full px-3 py-1 text-sm font-medium ${STYLE[i.status]}`} data-testid="instance-status">{LABEL[i.status]}</span>
            {i.status !== "stored" && i.lastError ? <span className="w-full text-xs text-slate-500">{i.lastError}</span> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
