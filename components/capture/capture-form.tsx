"use client";

import { useEffect, useRef, useState } from "react";
import { BODY_SITES } from "@/lib/catalog/body-sites";
import type { TCatalogItemSummary } from "@/lib/catalog/find-catalog-items";
import type { TCapture } from "@/lib/capture/get-capture";
import { uploadCapture } from "./upload-capture";
import { CaptureStatus } from "./capture-status";

type TPicked = { id: string; file: File; url: string };
const SIDES = [
  { value: "U", label: "Not paired" },
  { value: "L", label: "Left" },
  { value: "R", label: "Right" },
  { value: "B", label: "Both" },
] as const;

/** What "Choose files" offers: photos (incl. HEIC from phones), videos, DICOM files exported by devices. */
const FILE_TYPES = "image/*,.heic,.heif,video/*,.mov,.dcm,application/dicom";
/** Formats the browser can show as a thumbnail; others get a labelled tile. */
const isPreviewable = (file: File): boolean => /^image\/(jpeg|png|webp|gif|avif|bmp)$/.test(file.type);
const kindOf = (file: File): string => {
  if (file.type === "application/dicom" || /\.dcm$/i.test(file.name)) return "DICOM";
  const ext = /\.([a-z0-9]{2,5})$/i.exec(file.name)?.[1];
  return ext ?? (file.type || "file");
};

/** Choose the procedure, take or pick photos, review them, send; then follow each photo to the archive. */
export function CaptureForm({ encounterId, procedures }: { encounterId: string; procedures: TCatalogItemSummary[] }) {
  const [procedureId, setProcedureId] = useState(procedures.length === 1 ? procedures[0]!.id : "");
  const [side, setSide] = useState<string>("U");
  // "" = the procedure's default body site (if any); a video needs one.
  const [bodySite, setBodySite] = useState("");
  const procedure = procedures.find((p) => p.id === procedureId);
  const defaultSite = BODY_SITES.find((b) => b.code === procedure?.bodySiteCode);
  const [picked, setPicked] = useState<TPicked[]>([]);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState("");
  const [captures, setCaptures] = useState<TCapture[]>([]);
  const counter = useRef(0);

  // Nothing stays in the browser: object URLs are released when photos are removed or the page is left.
  const pickedRef = useRef(picked);
  pickedRef.current = picked;
  useEffect(() => () => pickedRef.current.forEach((p) => URL.revokeObjectURL(p.url)), []);

  const addFiles = (list: FileList | null) => {
    if (!list) return;
    const next = Array.from(list).map((file) => ({ id: `p${counter.current++}`, file, url: URL.createObjectURL(file) }));
    setPicked((prev) => [...prev, ...next]);
    setError("");
  };
  const remove = (id: string) =>
    setPicked((prev) => {
      prev.filter((p) => p.id === id).forEach((p) => URL.revokeObjectURL(p.url));
      return prev.filter((p) => p.id !== id);
    });

  const send = async () => {
    if (!procedureId) return setError("Choose what you did first.");
    if (picked.length === 0) return setError("Take or choose at least one photo.");
    const needsSite = procedure?.requireBodySite || picked.some((p) => p.file.type.startsWith("video/"));
    if (needsSite && !bodySite && !defaultSite) return setError("Choose the body site first (required for video and for this procedure).");
    setError("");
    setProgress(0);
    try {
      const capture = await uploadCapture({ encounterId, procedureId, imageLaterality: side, bodySite, files: picked.map((p) => p.file) }, setProgress);
      picked.forEach((p) => URL.revokeObjectURL(p.url));
      setPicked([]);
      setCaptures((prev) => [capture, ...prev]);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setProgress(null);
    }
  };

  return (
    <div className="space-y-6">
      <fieldset>
        <legend className="mb-2 text-lg font-semibold">1. What did you do?</legend>
        {procedures.length === 0 ? <p className="text-slate-600">Your department has no procedures in its catalog yet. Ask your manager.</p> : null}
        <div className="grid gap-2 sm:grid-cols-2">
          {procedures.map((p) => (
            <label key={p.id} className={`flex min-h-14 cursor-pointer items-center gap-3 rounded-xl border-2 bg-white px-4 py-3 ${procedureId === p.id ? "border-brand-600 bg-brand-50" : "border-slate-200"}`}>
              <input type="radio" name="procedure" value={p.id} checked={procedureId === p.id} onChange={() => setProcedureId(p.id)} className="size-5 accent-brand-600" />
              <span><span className="block font-medium">{p.meaning}</span><span className="block text-xs text-slate-500">{p.department} · {p.code}</span></span>
            </label>
          ))}
        </div>
      </fieldset>

      <fieldset>
        <legend className="mb-2 text-lg font-semibold">2. Side</legend>
        <div className="flex flex-wrap gap-2">
          {SIDES.map((s) => (
            <label key={s.value} className={`flex h-12 cursor-pointer items-center gap-2 rounded-xl border-2 bg-white px-4 ${side === s.value ? "border-brand-600 bg-brand-50" : "border-slate-200"}`}>
              <input type="radio" name="side" value={s.value} checked={side === s.value} onChange={() => setSide(s.value)} className="size-5 accent-brand-600" />
              {s.label}
            </label>
          ))}
        </div>
      </fieldset>

      <div>
        <label htmlFor="body-site" className="mb-2 block text-lg font-semibold">3. Body site</label>
        <select id="body-site" value={bodySite} onChange={(e) => { setBodySite(e.target.value); setError(""); }} className="h-12 w-full rounded-xl border-2 border-slate-200 bg-white px-3 sm:w-96">
          <option value="">{defaultSite ? `${defaultSite.meaning} (procedure default)` : "Not specified"}</option>
          {BODY_SITES.map((b) => <option key={b.code} value={b.code}>{b.meaning}</option>)}
        </select>
      </div>

      <section aria-labelledby="photos-heading">
        <h2 id="photos-heading" className="mb-2 text-lg font-semibold">4. Photos, videos, files</h2>
        <div className="flex flex-wrap gap-3">
          <label className="flex h-14 cursor-pointer items-center rounded-xl bg-brand-600 px-6 text-lg font-semibold text-white hover:bg-brand-700">
            Take photo
            <input type="file" accept="image/*" capture="environment" multiple className="sr-only" onChange={(e) => { addFiles(e.target.files); e.target.value = ""; }} data-testid="camera-input" />
          </label>
          <label className="flex h-14 cursor-pointer items-center rounded-xl border-2 border-brand-600 bg-white px-6 text-lg font-semibold text-brand-700 hover:bg-brand-50">
            Choose files
            <input type="file" accept={FILE_TYPES} multiple className="sr-only" onChange={(e) => { addFiles(e.target.files); e.target.value = ""; }} data-testid="file-input" />
          </label>
        </div>
        {picked.length > 0 ? (
          <ul className="mt-4 grid grid-cols-2 gap-3 sm:grid-cols-4" aria-label="Photos to send">
            {picked.map((p) => (
              <li key={p.id} className="relative overflow-hidden rounded-xl bg-slate-200 ring-1 ring-slate-300">
                {isPreviewable(p.file) ? (
                  // eslint-disable-next-line @next/next/no-img-element
                  <img src={p.url} alt={`Photo ${p.file.name}`} className="aspect-square w-full object-cover" />
                ) : (
                  <div className="flex aspect-square w-full flex-col items-center justify-center gap-1 p-3 text-center" aria-label={`File ${p.file.name}`}>
                    <span className="rounded bg-slate-700 px-2 py-0.5 text-xs font-bold uppercase text-white">{kindOf(p.file)}</span>
                    <span className="break-all text-sm text-slate-700">{p.file.name}</span>
                  </div>
                )}
                <button type="button" onClick={() => remove(p.id)} aria-label={`Remove ${p.file.name}`} className="absolute right-2 top-2 flex size-11 items-center justify-center rounded-full bg-white/90 text-xl font-bold text-slate-800 shadow">×</button>
              </li>
            ))}
          </ul>
        ) : null}
      </section>

      <div className="min-h-16">
        {progress !== null ? (
          <div role="progressbar" aria-label="Upload" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(progress * 100)} className="mb-3 h-3 w-full overflow-hidden rounded-full bg-slate-200">
            <div className="h-full bg-brand-600 transition-[width]" style={{ width: `${Math.round(progress * 100)}%` }} />
          </div>
        ) : null}
        {error ? <p role="alert" className="mb-3 font-medium text-red-700">{error}</p> : null}
        <button type="button" onClick={send} disabled={progress !== null} className="h-14 w-full rounded-xl bg-emerald-700 text-lg font-semibold text-white hover:bg-emerald-800 disabled:opacity-60 sm:w-auto sm:px-10">
          {progress !== null ? "Sending…" : `Send ${picked.length || ""} ${picked.every((p) => p.file.type.startsWith("image/")) ? "photo" : "file"}${picked.length === 1 ? "" : "s"} to the archive`}
        </button>
      </div>

      {captures.map((c) => <CaptureStatus key={c.id} initial={c} />)}
    </div>
  );
}
