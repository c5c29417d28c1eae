"use client";

import { useEffect, useRef, useState, type DragEvent } from "react";
import { findBodySite } from "@/lib/catalog/body-sites";
import type { TFileKind } from "@/lib/capture/allowed-media";
import { ITEM_STATE_LABEL, type TItemState } from "@/lib/capture/item-state";
import { BodyMap, type TSiteChoice } from "./body-map";

/** One captured or picked item, in memory until the server has recorded it (then `file`, `url`, `poster` are null). */
export type TCaptureItem = {
  id: string;
  file: File | null;
  name: string;
  kind: TFileKind;
  /** Object URL of the photo/video for the preview. */
  url: string | null;
  /** Object URL of a video's poster frame. */
  poster: string | null;
  /** The item's own body site and Image Laterality ("" = the capture's). */
  bodySite: string;
  laterality: string;
  state: TItemState;
  /** Upload progress 0…1. */
  progress: number;
  error: string;
  uploadId: string;
  captureId: string;
  instanceNumber: number;
};

const STATE_STYLE: Record<TItemState, string> = {
  ready: "bg-slate-100 text-slate-700",
  uploading: "bg-sky-100 text-sky-900",
  wrapping: "bg-indigo-100 text-indigo-900",
  queued: "bg-slate-200 text-slate-800",
  sending: "bg-sky-100 text-sky-900",
  stored: "bg-emerald-100 text-emerald-900",
  failed: "bg-red-100 text-red-900",
};
const SIDE_WORD: Record<string, string> = { R: "right", L: "left", B: "both sides" };
const KIND_WORD: Record<TFileKind, string> = { other: "Photo", video: "Video", dicom: "DICOM" };

const siteText = (code: string, laterality: string): string => {
  const site = findBodySite(code);
  return site ? `${site.meaning}${SIDE_WORD[laterality] ? `, ${SIDE_WORD[laterality]}` : ""}` : "";
};

/**
 * The items to send (or sent), each a fixed-size card — thumbnail, name, body site, state with upload progress and
 * the reason of a failure — so nothing moves while uploads progress. Drop files on it to add them.
 */
export function ReviewStrip(props: {
  items: TCaptureItem[];
  heading: string;
  captureSite: TSiteChoice;
  defaultSiteCode: string;
  onRemove: (id: string) => void;
  onSite: (id: string, choice: TSiteChoice) => void;
  onDropFiles?: (files: FileList) => void;
  onClear?: () => void;
  busy: boolean;
}) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const editedItem = props.items.find((i) => i.id === editing);
  const sent = Boolean(props.onClear);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (editing && dialog && !dialog.open) {
      dialog.showModal();
    }
  }, [editing]);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (props.onDropFiles && e.dataTransfer.files.length > 0) {
      props.onDropFiles(e.dataTransfer.files);
    }
  };
  const stored = props.items.filter((i) => i.state === "stored").length;

  return (
    <section
      aria-label={props.heading}
      className={`mt-4 rounded-2xl p-3 ring-1 ${dragging ? "bg-sky-50 ring-2 ring-sky-500" : "bg-slate-50 ring-slate-200"}`}
      onDragOver={props.onDropFiles ? (e) => { e.preventDefault(); setDragging(true); } : undefined}
      onDragLeave={() => setDragging(false)}
      onDrop={props.onDropFiles ? onDrop : undefined}
      data-testid={sent ? "sent-strip" : "review-strip"}
    >
      <div className="mb-2 flex min-h-11 items-center justify-between gap-2">
        <h3 className="font-semibold" data-testid="item-count">
          {props.heading}: {props.items.length} item{props.items.length === 1 ? "" : "s"}
          {sent ? <span className="font-normal text-slate-600"> · {stored} stored</span> : null}
        </h3>
        {props.onClear && props.items.length > 0 && stored + props.items.filter((i) => i.state === "failed").length === props.items.length ? (
          <button type="button" onClick={props.onClear} className="h-11 rounded-lg px-3 text-sm font-medium text-slate-700 underline">Clear list</button>
        ) : null}
      </div>
      {props.items.length === 0 ? (
        <p className="flex h-24 items-center justify-center rounded-xl border-2 border-dashed border-slate-300 text-slate-500">Nothing yet: take photos, record a video, or drop files here.</p>
      ) : (
        <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-3" aria-label={`${props.heading} items`}>
          {props.items.map((item) => {
            const ownSite = siteText(item.bodySite, item.laterality);
            const inherited = props.captureSite.code ? siteText(props.captureSite.code, props.captureSite.laterality) : siteText(props.defaultSiteCode, "");
            const preview = item.kind === "other" ? item.url : item.poster;
            return (
              <li key={item.id} className="flex h-40 gap-3 overflow-hidden rounded-xl bg-white p-2 ring-1 ring-slate-200" data-testid="capture-item">
                <div className="relative flex size-32 shrink-0 items-center justify-center self-center overflow-hidden rounded-lg bg-slate-200">
                  <span className="absolute rounded bg-slate-700 px-2 py-0.5 text-xs font-bold uppercase text-white" aria-hidden>{KIND_WORD[item.kind]}</span>
                  {preview ? (
                    // eslint-disable-next-line @next/next/no-img-element
                    <img
                      src={preview}
                      alt={`${KIND_WORD[item.kind]} ${item.name}`}
                      className="relative size-full object-cover"
                      onError={(e) => {
                        // A format this browser cannot show (HEIC, TIFF, a broken file): the labelled tile instead.
                        e.currentTarget.style.display = "none";
                      }}
                    />
                  ) : (
                    <div className="flex size-full flex-col items-center justify-center gap-1 p-2 text-center" role="img" aria-label={`${item.kind === "dicom" ? "File" : KIND_WORD[item.kind]} ${item.name}`}>
                    </div>
                  )}
                  {item.kind === "video" && preview ? <span className="absolute bottom-1 left-1 rounded bg-black/70 px-1.5 text-xs font-bold text-white">▶ Video</span> : null}
                </div>
                <div className="flex min-w-0 flex-1 flex-col">
                  <div className="flex items-start justify-between gap-1">
                    <span className="truncate pt-1 text-sm font-semibold" title={item.name}>{item.name}</span>
                    {!sent ? (
                      <button type="button" onClick={() => props.onRemove(item.id)} disabled={props.busy} aria-label={`Remove ${item.name}`} className="-mr-1 -mt-1 flex size-11 shrink-0 items-center justify-center rounded-full text-2xl font-bold text-slate-600 hover:bg-slate-100 disabled:opacity-40">×</button>
                    ) : null}
                  </div>
                  {!sent ? (
                    <button type="button" onClick={() => setEditing(item.id)} disabled={props.busy} className="mt-0.5 flex min-h-11 items-center truncate rounded-lg bg-slate-100 px-2 text-left text-sm hover:bg-sky-50 disabled:opacity-60" aria-label={`Body site of ${item.name}, change. Site: ${ownSite || (inherited ? `${inherited} (all)` : "choose…")}`}>
                      <span className="truncate"><span className="text-slate-600">Site: </span>{ownSite || (inherited ? `${inherited} (all)` : "choose…")}</span>
                    </button>
                  ) : (
                    <span className="truncate text-sm text-slate-600">{ownSite || "no body site"}</span>
                  )}
                  <div className="mt-auto">
                    <div className="flex items-center gap-2">
                      <span className={`rounded-full px-2.5 py-0.5 text-sm font-medium ${STATE_STYLE[item.state]}`} data-testid="item-state">
                        {ITEM_STATE_LABEL[item.state]}
                        {item.state === "uploading" ? ` ${Math.round(item.progress * 100)} %` : ""}
                      </span>
                    </div>
                    <div className="mt-1 h-1.5 w-full overflow-hidden rounded-full bg-slate-100" role="progressbar" aria-label={`Upload of ${item.name}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(item.progress * 100)}>
                      <div className={`h-full ${item.state === "failed" ? "bg-red-500" : item.state === "stored" ? "bg-emerald-600" : "bg-brand-600"}`} style={{ width: `${Math.round(item.progress * 100)}%` }} />
                    </div>
                    <p className="h-8 overflow-hidden text-xs leading-4 text-red-800" title={item.error}>{item.state === "stored" ? "" : item.error}</p>
                  </div>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      <dialog
        ref={dialogRef}
        onClose={() => setEditing(null)}
        aria-label={editedItem ? `Body site of ${editedItem.name}` : "Body site"}
        className="m-auto w-[min(56rem,calc(100vw-2rem))] rounded-2xl p-0 backdrop:bg-slate-900/60"
      >
        {editedItem ? (
          <div className="p-4">
            <div className="mb-3 flex items-center justify-between">
              <h4 className="text-lg font-semibold">Body site of {editedItem.name}</h4>
              <button type="button" onClick={() => dialogRef.current?.close()} className="h-12 rounded-xl bg-brand-600 px-6 font-semibold text-white">Done</button>
            </div>
            <BodyMap
              value={{ code: editedItem.bodySite, laterality: editedItem.laterality }}
              onChange={(choice) => props.onSite(editedItem.id, choice)}
              emptyLabel="Same as the capture's body site"
            />
          </div>
        ) : null}
      </dialog>
    </section>
  );
}
