"use client";

/**
 * The bedside capture screen: procedure → camera / files → review (body site per item) → body map → consent → send,
 * then each item's state until the archive stored it.
 *
 * Nothing stays on the device: shots and clips are Blobs in this component's state (JS memory) only — no download,
 * no localStorage/IndexedDB/Cache (tus runs with storeFingerprintForResuming: false). Object URLs of previews are
 * revoked when an item is deleted, as soon as the server has recorded the capture (the item's Blob is dropped
 * then), and when the page goes away (unmount, `pagehide`). Logging out is a full page navigation (next-auth
 * signOut), which discards this page's memory with everything in it.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { findBodySite } from "@/lib/catalog/body-sites";
import type { TCatalogItemSummary } from "@/lib/catalog/find-catalog-items";
import { isMediumAllowed, type TFileKind } from "@/lib/capture/allowed-media";
import { CONSENT_CHOICES, CONSENT_LABELS, type TConsent } from "@/lib/capture/consent";
import { deliveryStateOf, isFinalState, itemNamedIn } from "@/lib/capture/item-state";
import { useUnsentGuard } from "@/components/patient/unsent-guard";
import { BodyMap, type TSiteChoice } from "./body-map";
import { LiveCamera } from "./live-camera";
import { ReviewStrip, type TCaptureItem } from "./review-strip";
import { createCaptureFromUploads, fetchCapture, uploadFile } from "./upload-capture";

type TProcedure = TCatalogItemSummary;

/** What "Choose files" offers: photos (incl. HEIC from phones), videos, DICOM files exported by devices. */
const FILE_TYPES = "image/*,.heic,.heif,video/*,.mov,.dcm,application/dicom";
const DEFAULT_VIDEO_MAX_MINUTES = 20;

const kindOfFile = (file: File): TFileKind => {
  if (file.type === "application/dicom" || /\.dcm$/i.test(file.name)) {
    return "dicom";
  }
  return file.type.startsWith("video/") || /\.(mov|mp4|m4v|webm|mkv)$/i.test(file.name) ? "video" : "other";
};
const MEDIUM_WORD: Record<TFileKind, string> = { other: "photos", video: "videos", dicom: "DICOM files" };

/** A poster frame of a recorded or picked video, drawn from the Blob itself (an object URL; null if it cannot). */
const makePoster = (url: string): Promise<string | null> =>
  new Promise((resolve) => {
    const video = document.createElement("video");
    const done = (result: string | null) => {
      video.removeAttribute("src");
      video.load();
      resolve(result);
    };
    const timer = setTimeout(() => done(null), 5000);
    video.muted = true;
    video.preload = "auto";
    video.onloadeddata = () => {
      video.currentTime = Math.min(0.2, (video.duration || 1) / 2);
    };
    video.onseeked = () => {
      clearTimeout(timer);
      const canvas = document.createElement("canvas");
      canvas.width = 320;
      canvas.height = Math.round((320 * (video.videoHeight || 240)) / (video.videoWidth || 320));
      canvas.getContext("2d")!.drawImage(video, 0, 0, canvas.width, canvas.height);
      canvas.toBlob((b) => done(b ? URL.createObjectURL(b) : null), "image/jpeg", 0.8);
    };
    video.onerror = () => {
      clearTimeout(timer);
      done(null);
    };
    video.src = url;
  });

/** Releases what an item holds in the browser (its preview URLs) and drops its Blob. */
const releaseItem = (item: TCaptureItem): TCaptureItem => {
  if (item.url) {
    URL.revokeObjectURL(item.url);
  }
  if (item.poster) {
    URL.revokeObjectURL(item.poster);
  }
  return { ...item, file: null, url: null, poster: null };
};

export function CaptureForm({ encounterId, procedures, videoMaxMinutes = DEFAULT_VIDEO_MAX_MINUTES }: { encounterId: string; procedures: TProcedure[]; videoMaxMinutes?: number }) {
  const [procedureId, setProcedureId] = useState(procedures.length === 1 ? procedures[0]!.id : "");
  const procedure = procedures.find((p) => p.id === procedureId);
  const defaultSite = findBodySite(procedure?.bodySiteCode ?? "");
  const [site, setSite] = useState<TSiteChoice>({ code: "", laterality: "" });
  const [consent, setConsent] = useState<TConsent | "">("");
  const [sensitive, setSensitive] = useState(false);
  const [items, setItems] = useState<TCaptureItem[]>([]);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const counters = useRef({ item: 0, photo: 0, video: 0 });
  const { setUnsent } = useUnsentGuard();

  // Item list for cleanup on unmount / pagehide (latest value, without re-subscribing).
  const itemsRef = useRef(items);
  itemsRef.current = items;
  useEffect(() => {
    const releaseAll = () => itemsRef.current.forEach(releaseItem);
    window.addEventListener("pagehide", releaseAll);
    return () => {
      window.removeEventListener("pagehide", releaseAll);
      releaseAll();
    };
  }, []);

  // Unsent = not yet recorded by the server (its Blob is still here); the patient-switch guard asks about them.
  const unsent = items.filter((i) => !i.captureId).length;
  useEffect(() => {
    setUnsent(unsent);
  }, [unsent, setUnsent]);
  useEffect(() => () => setUnsent(0), [setUnsent]);

  const blockedReason = (kind: TFileKind): string =>
    procedure && !isMediumAllowed(kind, procedure)
      ? `“${procedure.meaning}” does not take ${MEDIUM_WORD[kind]}.`
      : "";

  const update = useCallback((id: string, patch: Partial<TCaptureItem>) => {
    setItems((prev) => prev.map((i) => (i.id === id ? { ...i, ...patch } : i)));
  }, []);

  const addFile = useCallback((file: File, kind: TFileKind) => {
    const id = `i${counters.current.item++}`;
    const url = kind === "dicom" ? null : URL.createObjectURL(file);
    setItems((prev) => [
      ...prev,
      { id, file, name: file.name, kind, url, poster: null, bodySite: "", laterality: "", state: "ready", progress: 0, error: "", uploadId: "", captureId: "", instanceNumber: 0 },
    ]);
    if (kind === "video" && url) {
      void makePoster(url).then((poster) => poster && setItems((prev) => prev.map((i) => (i.id === id && i.url ? { ...i, poster } : i))));
    }
  }, []);

  const addFiles = (list: FileList | null) => {
    if (!list) {
      return;
    }
    const refused: string[] = [];
    for (const file of Array.from(list)) {
      const kind = kindOfFile(file);
      const reason = blockedReason(kind);
      if (reason) {
        refused.push(`${file.name}: ${reason}`);
      } else {
        addFile(file, kind);
      }
    }
    setError(refused.join(" "));
  };

  const onPhoto = useCallback(
    (blob: Blob) => addFile(new File([blob], `photo-${++counters.current.photo}.jpg`, { type: "image/jpeg" }), "other"),
    [addFile],
  );
  const onVideo = useCallback(
    (blob: Blob) => {
      const ext = blob.type.includes("mp4") ? "mp4" : "webm";
      addFile(new File([blob], `video-${++counters.current.video}.${ext}`, { type: blob.type }), "video");
    },
    [addFile],
  );

  const remove = (id: string) =>
    setItems((prev) => {
      prev.filter((i) => i.id === id).forEach(releaseItem);
      return prev.filter((i) => i.id !== id);
    });

  /** Items that go with the next send: not recorded yet (ready, or refused before). */
  const pending = items.filter((i) => !i.captureId && i.file);

  const send = async () => {
    if (!procedure) {
      return setError("Choose what you did first (step 1).");
    }
    if (pending.length === 0) {
      return setError("Take or choose at least one photo, video or file.");
    }
    const refused = pending.map((i) => (blockedReason(i.kind) ? `${i.name}: ${blockedReason(i.kind)}` : "")).filter(Boolean);
    if (refused.length > 0) {
      return setError(`${refused.join(" ")} Remove it to send the rest.`);
    }
    const siteOf = (i: TCaptureItem): string => i.bodySite || site.code || procedure.bodySiteCode;
    const missing = pending.filter((i) => (procedure.requireBodySite || i.kind === "video") && !siteOf(i));
    if (missing.length > 0) {
      return setError(`Choose the body site first (on the map, or per item): ${missing.map((i) => i.name).join(", ")} — required for video${procedure.requireBodySite ? " and for this procedure" : ""}.`);
    }
    if (!consent) {
      return setError("Choose the patient's consent first (step 4).");
    }
    setError("");
    setBusy(true);
    const batch = pending.map((i) => i.id);
    try {
      // 1. Upload each file (resumable), with its own progress; an item uploaded before (refused capture) is not sent again.
      const uploads: { id: string; bodySite?: string; imageLaterality?: string }[] = [];
      for (const item of pending) {
        let uploadId = item.uploadId;
        if (!uploadId) {
          update(item.id, { state: "uploading", progress: 0, error: "" });
          try {
            uploadId = await uploadFile(item.file!, (fraction) => update(item.id, { progress: fraction }));
          } catch (e) {
            update(item.id, { state: "failed", error: (e as Error).message });
            throw e;
          }
          update(item.id, { uploadId, progress: 1 });
        }
        const side = item.bodySite ? item.laterality : site.code ? site.laterality : "";
        uploads.push({ id: uploadId, ...(siteOf(item) ? { bodySite: siteOf(item) } : {}), ...(side ? { imageLaterality: side } : {}) });
      }
      // 2. The server wraps every file as DICOM and queues its delivery.
      setItems((prev) => prev.map((i) => (batch.includes(i.id) ? { ...i, state: "wrapping", error: "" } : i)));
      let capture;
      try {
        capture = await createCaptureFromUploads({ encounterId, procedureId: procedure.id, consent, sensitive, uploads });
      } catch (e) {
        const message = (e as Error).message;
        const named = itemNamedIn(message, pending.map((i) => i.name));
        setItems((prev) =>
          prev.map((i) => (!batch.includes(i.id) ? i : i.id === pending[named]?.id ? { ...i, state: "failed", error: message } : { ...i, state: "ready" })),
        );
        throw new Error(named >= 0 ? `${message} — nothing was sent; remove ${pending[named]!.name} and send again.` : message);
      }
      // 3. Recorded: the server has everything, so the browser lets go of the media now.
      setItems((prev) =>
        prev.map((i) => {
          const index = batch.indexOf(i.id);
          if (index < 0) {
            return i;
          }
          const { state, error: reason } = deliveryStateOf(capture.instances, index + 1);
          // What was sent, for the "Sent" list: the site and side the object carries.
          const sentSite = { bodySite: uploads[index]?.bodySite ?? "", laterality: uploads[index]?.imageLaterality ?? "" };
          return { ...releaseItem(i), ...sentSite, captureId: capture.id, instanceNumber: index + 1, state, error: reason, progress: 1 };
        }),
      );
      setSite({ code: "", laterality: "" });
      setConsent("");
      setSensitive(false);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  // Follow every recorded capture until each of its items is stored or failed.
  const following = [...new Set(items.filter((i) => i.captureId && !isFinalState(i.state)).map((i) => i.captureId))].join(",");
  useEffect(() => {
    if (!following) {
      return;
    }
    let inFlight = false;
    const timer = setInterval(async () => {
      if (inFlight) {
        return;
      }
      inFlight = true;
      try {
        for (const id of following.split(",")) {
          const capture = await fetchCapture(id);
          if (capture) {
            setItems((prev) => prev.map((i) => (i.captureId === id ? { ...i, ...deliveryStateOf(capture.instances, i.instanceNumber) } : i)));
          }
        }
      } finally {
        inFlight = false;
      }
    }, 1000);
    return () => clearInterval(timer);
  }, [following]);

  const setItemSite = (id: string, choice: TSiteChoice) => update(id, { bodySite: choice.code, laterality: choice.code ? choice.laterality : "" });
  const sentItems = items.filter((i) => i.captureId);
  const clearSent = () => setItems((prev) => prev.filter((i) => !i.captureId || !isFinalState(i.state)));

  return (
    <div className="space-y-8">
      <fieldset>
        <legend className="mb-2 text-lg font-semibold">1. What did you do?</legend>
        {procedures.length === 0 ? <p className="text-slate-600">Your department has no procedures in its catalog yet. Ask your manager.</p> : null}
        <div className="grid gap-2 sm:grid-cols-2">
          {procedures.map((p) => (
            <label key={p.id} className={`flex min-h-14 cursor-pointer items-center gap-3 rounded-xl border-2 bg-white px-4 py-3 ${procedureId === p.id ? "border-brand-600 bg-brand-50" : "border-slate-200"}`}>
              <input type="radio" name="procedure" value={p.id} checked={procedureId === p.id} onChange={() => setProcedureId(p.id)} className="size-5 accent-brand-600" />
              <span>
                <span className="block font-medium">{p.meaning}</span>
                <span className="block text-xs text-slate-500">
                  {p.department} · {p.code}
                  {p.requireBodySite ? " · body site required" : ""}
                  {findBodySite(p.bodySiteCode) ? ` · ${findBodySite(p.bodySiteCode)!.meaning}` : ""}
                </span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>

      <section aria-labelledby="capture-heading">
        <h2 id="capture-heading" className="mb-2 text-lg font-semibold">2. Photos, videos, files</h2>
        <LiveCamera onPhoto={onPhoto} onVideo={onVideo} photoBlocked={blockedReason("other")} videoBlocked={blockedReason("video")} maxVideoMs={videoMaxMinutes * 60_000} />
        <div className="mt-3 flex flex-wrap items-center gap-3">
          <label className="flex h-14 cursor-pointer items-center rounded-xl border-2 border-brand-600 bg-white px-6 text-lg font-semibold text-brand-700 hover:bg-brand-50 focus-within:outline-4 focus-within:outline-sky-400">
            Choose files
            <input type="file" accept={FILE_TYPES} multiple className="sr-only" onChange={(e) => { addFiles(e.target.files); e.target.value = ""; }} data-testid="file-input" />
          </label>
          <span className="text-sm text-slate-600">or drop files here: photos, videos, DICOM from devices</span>
        </div>
        <ReviewStrip
          items={items.filter((i) => !i.captureId)}
          heading="To send"
          captureSite={site}
          defaultSiteCode={procedure?.bodySiteCode ?? ""}
          onRemove={remove}
          onSite={setItemSite}
          onDropFiles={addFiles}
          busy={busy}
        />
      </section>

      <section aria-labelledby="site-heading">
        <h2 id="site-heading" className="mb-1 text-lg font-semibold">3. Body site</h2>
        <p className="mb-2 text-sm text-slate-600">Tap the body map for every item; an item's own site (in the list above) overrides it.</p>
        <BodyMap value={site} onChange={setSite} emptyLabel={defaultSite ? `${defaultSite.meaning} (procedure default)` : "Not chosen yet"} />
      </section>

      <fieldset aria-describedby="consent-hint">
        <legend className="mb-1 text-lg font-semibold">4. Consent</legend>
        <p id="consent-hint" className="mb-2 text-sm text-slate-600">Required: what the patient agreed to for these images.</p>
        <div className="grid gap-2 sm:grid-cols-2 lg:grid-cols-4">
          {CONSENT_CHOICES.map((c) => (
            <label key={c} className={`flex min-h-16 cursor-pointer items-start gap-3 rounded-xl border-2 bg-white px-4 py-3 ${consent === c ? "border-brand-600 bg-brand-50" : "border-slate-200"}`}>
              <input type="radio" name="consent" value={c} checked={consent === c} onChange={() => setConsent(c)} className="mt-1 size-5 shrink-0 accent-brand-600" />
              <span>
                <span className="block font-medium">{CONSENT_LABELS[c].label}</span>
                <span className="block text-xs text-slate-600">{CONSENT_LABELS[c].hint}</span>
              </span>
            </label>
          ))}
        </div>
        <label className="mt-3 flex min-h-12 cursor-pointer items-center gap-3 rounded-xl border-2 border-amber-300 bg-amber-50 px-4">
          <input type="checkbox" checked={sensitive} onChange={(e) => setSensitive(e.target.checked)} className="size-5 accent-amber-600" />
          <span><span className="font-medium">Sensitive image</span> <span className="text-sm text-slate-700">— only you and your department's managers may view it</span></span>
        </label>
      </fieldset>

      <div className="sticky bottom-2 z-10 flex min-h-20 items-center gap-4 rounded-2xl bg-white p-3 shadow-lg ring-1 ring-slate-200">
        <button type="button" onClick={send} disabled={busy || pending.length === 0} className="h-14 shrink-0 rounded-xl bg-emerald-700 px-8 text-lg font-semibold text-white hover:bg-emerald-800 disabled:bg-slate-400">
          {busy ? "Sending…" : pending.length === 0 ? "Nothing to send yet" : `Send ${pending.length} ${pending.every((i) => i.kind === "other") ? "photo" : "file"}${pending.length === 1 ? "" : "s"} to the archive`}
        </button>
        <p role="alert" className="line-clamp-3 min-w-0 flex-1 text-sm font-medium text-red-700">{error}</p>
      </div>

      {sentItems.length > 0 ? (
        <ReviewStrip items={sentItems} heading="Sent" captureSite={{ code: "", laterality: "" }} defaultSiteCode="" onRemove={() => {}} onSite={() => {}} busy onClear={clearSent} />
      ) : null}
    </div>
  );
}
