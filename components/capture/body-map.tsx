"use client";

import { useId, useMemo, useState, type KeyboardEvent } from "react";
import { BODY_SITES, findBodySite } from "@/lib/catalog/body-sites";
import {
  BODY_MAP_REGIONS,
  FIGURE_HEIGHT,
  FIGURE_WIDTH,
  regionsFor,
  selectRegion,
  type TBodyMapRegion,
  type TBodyMapShape,
  type TBodyMapView,
} from "@/lib/capture/body-map-regions";

export type TSiteChoice = { code: string; laterality: string };

const SIDES = [
  { value: "R", label: "Right" },
  { value: "L", label: "Left" },
  { value: "B", label: "Both" },
  { value: "U", label: "No side" },
] as const;

/** The silhouette behind the regions (not interactive). */
const Silhouette = () => (
  <g fill="#e2e8f0" aria-hidden>
    <ellipse cx={100} cy={40} rx={28} ry={34} />
    <rect x={86} y={70} width={28} height={22} rx={6} />
    <rect x={66} y={86} width={68} height={176} rx={22} />
    <rect x={40} y={86} width={40} height={196} rx={18} />
    <rect x={120} y={86} width={40} height={196} rx={18} />
    <ellipse cx={53} cy={290} rx={14} ry={19} />
    <ellipse cx={147} cy={290} rx={14} ry={19} />
    <rect x={70} y={240} width={60} height={190} rx={14} />
  </g>
);

const Shape = ({ shape, className }: { shape: TBodyMapShape; className: string }) =>
  shape.kind === "rect" ? (
    <rect x={shape.x} y={shape.y} width={shape.w} height={shape.h} rx={shape.r} className={className} />
  ) : (
    <ellipse cx={shape.cx} cy={shape.cy} rx={shape.rx} ry={shape.ry} className={className} />
  );

/** One figure (front or back); each region a focusable, labelled button operated by tap, click, Enter or Space. */
function Figure(props: { view: TBodyMapView; value: TSiteChoice; onPick: (region: TBodyMapRegion) => void }) {
  const chosen = new Set(regionsFor(props.view, props.value.code, props.value.laterality).map((r) => r.id));
  const regions = BODY_MAP_REGIONS.filter((r) => r.view === props.view);
  const onKey = (e: KeyboardEvent, region: TBodyMapRegion) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      props.onPick(region);
    }
  };
  const title = props.view === "front" ? "Front" : "Back";

  return (
    <figure className="flex min-w-0 flex-1 flex-col items-center">
      <figcaption className="mb-1 text-sm font-semibold text-slate-600">
        {title} <span className="font-normal">({props.view === "front" ? "patient's right on your left" : "patient's right on your right"})</span>
      </figcaption>
      <svg viewBox={`0 0 ${FIGURE_WIDTH} ${FIGURE_HEIGHT}`} className="h-auto max-h-[36rem] w-full max-w-[20rem] touch-manipulation" role="group" aria-label={`Body map, ${title.toLowerCase()}`}>
        <Silhouette />
        <text x={12} y={20} className="fill-slate-600 text-[11px] font-semibold">{props.view === "front" ? "R" : "L"}</text>
        <text x={182} y={20} className="fill-slate-600 text-[11px] font-semibold">{props.view === "front" ? "L" : "R"}</text>
        {regions.map((region) => (
          <g
            key={region.id}
            role="button"
            tabIndex={0}
            aria-label={region.label}
            aria-pressed={chosen.has(region.id)}
            data-testid={`region-${region.id}`}
            onClick={() => props.onPick(region)}
            onKeyDown={(e) => onKey(e, region)}
            className="group cursor-pointer outline-none"
          >
            <title>{region.label}</title>
            <Shape
              shape={region.shape}
              className={`stroke-2 transition-colors ${chosen.has(region.id) ? "fill-brand-600 stroke-brand-900" : "fill-slate-300 stroke-white group-hover:fill-sky-300"} group-focus-visible:stroke-sky-600 group-focus-visible:[stroke-width:4]`}
            />
          </g>
        ))}
      </svg>
    </figure>
  );
}

/**
 * Body map: tap a region on the front or back figure to choose the anatomic region (SNOMED CT) and side; a search
 * list offers every other site of lib/catalog/body-sites.ts, with a side for paired parts.
 */
export function BodyMap(props: {
  value: TSiteChoice;
  onChange: (choice: TSiteChoice) => void;
  /** Text for "no choice" (e.g. the procedure's default). */
  emptyLabel: string;
}) {
  const [query, setQuery] = useState("");
  const searchId = useId();
  const site = findBodySite(props.value.code);
  const matches = useMemo(() => {
    const q = query.trim().toLowerCase();
    return q ? BODY_SITES.filter((s) => s.meaning.toLowerCase().includes(q) || s.code.startsWith(q)).slice(0, 8) : [];
  }, [query]);
  const pick = (region: TBodyMapRegion) => {
    const chosen = selectRegion(region);
    props.onChange({ code: chosen.code, laterality: chosen.laterality });
  };
  const sideLabel = SIDES.find((s) => s.value === props.value.laterality)?.label;

  return (
    <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_18rem]" data-testid="body-map">
      <div className="flex gap-2 rounded-xl bg-white p-3 ring-1 ring-slate-200">
        <Figure view="front" value={props.value} onPick={pick} />
        <Figure view="back" value={props.value} onPick={pick} />
      </div>
      <div className="flex flex-col gap-3">
        <p className="min-h-14 rounded-xl bg-slate-100 px-4 py-3 text-base" aria-live="polite" data-testid="chosen-site">
          {site ? (
            <>
              <span className="block text-xs text-slate-600">Chosen</span>
              <strong>{site.meaning}</strong>
              {sideLabel && props.value.laterality !== "U" ? ` · ${sideLabel}` : ""}
            </>
          ) : (
            <span className="text-slate-600">{props.emptyLabel}</span>
          )}
        </p>
        <div>
          <label htmlFor={searchId} className="mb-1 block text-sm font-semibold">Other body sites</label>
          <input
            id={searchId}
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="Search, e.g. colon, scalp"
            autoComplete="off"
            className="h-12 w-full rounded-xl border-2 border-slate-300 bg-white px-3 focus-visible:border-brand-600 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-brand-600"
          />
          <ul className="mt-2 flex flex-col gap-1" aria-label="Matching body sites">
            {matches.map((s) => (
              <li key={s.code}>
                <button
                  type="button"
                  onClick={() => {
                    props.onChange({ code: s.code, laterality: s.paired ? (props.value.laterality === "U" ? "" : props.value.laterality) : "U" });
                    setQuery("");
                  }}
                  className="flex min-h-11 w-full items-center justify-between rounded-lg bg-white px-3 text-left ring-1 ring-slate-200 hover:bg-sky-50 focus-visible:outline-3 focus-visible:outline-sky-500"
                >
                  {s.meaning} <span className="text-xs text-slate-500">SCT {s.code}</span>
                </button>
              </li>
            ))}
            {query.trim() && matches.length === 0 ? <li className="text-sm text-slate-600">No body site matches “{query}”.</li> : null}
          </ul>
        </div>
        {site?.paired ? (
          <fieldset>
            <legend className="mb-1 text-sm font-semibold">Side</legend>
            <div className="grid grid-cols-4 gap-1">
              {SIDES.map((s) => (
                <label key={s.value} className={`flex h-11 cursor-pointer items-center justify-center rounded-lg border-2 text-sm font-medium ${props.value.laterality === s.value ? "border-brand-600 bg-brand-50" : "border-slate-200 bg-white"}`}>
                  <input type="radio" className="sr-only" name={`${searchId}-side`} value={s.value} checked={props.value.laterality === s.value} onChange={() => props.onChange({ ...props.value, laterality: s.value })} />
                  {s.label}
                </label>
              ))}
            </div>
          </fieldset>
        ) : null}
        {site ? (
          <button type="button" onClick={() => props.onChange({ code: "", laterality: "" })} className="h-11 self-start rounded-lg px-3 text-sm font-medium text-slate-700 underline">
            Clear body site
          </button>
        ) : null}
      </div>
    </div>
  );
}
