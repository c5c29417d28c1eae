"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import type { TEncounterSummary } from "@/lib/worklist/find-encounters";
import type { TWorklistOptions } from "@/lib/worklist/find-worklist-options";
import { EncounterList } from "./encounter-list";
import { ScanDialog } from "./scan-dialog";
import { WorklistFilters, type TFilterValues } from "./worklist-filters";

const REFRESH_MS = 5000;
const DEBOUNCE_MS = 200;

const toParams = (q: string, f: TFilterValues): URLSearchParams =>
  new URLSearchParams(Object.entries({ q, ...f }).filter(([, v]) => v !== ""));

/**
 * Search as you type (name parts, MRN, birth date, visit number) with filters; results come from
 * GET /api/v1/encounters without a page navigation, so a tap on a patient is never overtaken by a late search; the
 * URL keeps query and filters for "back". A wristband opens its patient: scanned with the camera, or typed by a
 * keyboard-wedge scanner into the search box (text + Enter).
 */
export function WorklistView(props: { initialQuery: string; initialFilters: TFilterValues; initialEncounters: TEncounterSummary[]; options: TWorklistOptions }) {
  const router = useRouter();
  const [value, setValue] = useState(props.initialQuery);
  const [filters, setFilters] = useState(props.initialFilters);
  const [result, setResult] = useState({ key: toParams(props.initialQuery.trim(), props.initialFilters).toString(), query: props.initialQuery, encounters: props.initialEncounters });
  const [error, setError] = useState("");
  const [scanning, setScanning] = useState(false);
  const first = useRef(true);
  // Set once a patient is being opened: no more searches or URL updates, which would cancel that navigation.
  const leaving = useRef(false);

  // New ADT arrivals show up by themselves: refresh every 5 s while the page is visible.
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => document.visibilityState === "visible" && setTick((n) => n + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (leaving.current) {
      return;
    }
    const q = value.trim();
    const params = toParams(q, filters);
    const controller = new AbortController();
    const t = setTimeout(async () => {
      try {
        const res = await fetch(`/api/v1/encounters?${params}`, { signal: controller.signal, cache: "no-store" });
        if (!res.ok) {
          throw new Error(`HTTP ${res.status}`);
        }
        if (leaving.current) {
          return;
        }
        setResult({ key: params.toString(), query: q, encounters: (await res.json()) as TEncounterSummary[] });
        setError("");
        window.history.replaceState(null, "", params.size ? `?${params}` : window.location.pathname);
      } catch (e) {
        if ((e as Error).name !== "AbortError") {
          setError("Could not search just now. Check the connection and try again.");
        }
      }
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(t);
      controller.abort();
    };
  }, [value, filters, tick]);

  /** Open the patient a wristband code names; false when none of the user's patients has it. */
  const openCode = useCallback(
    async (code: string, fromScan: boolean): Promise<boolean> => {
      const res = await fetch(`/api/v1/encounters/by-code?code=${encodeURIComponent(code)}`, { cache: "no-store" }).catch(() => null);
      const body = res ? ((await res.json().catch(() => ({}))) as { encounterId?: string; error?: string }) : {};
      if (res?.ok && body.encounterId) {
        leaving.current = true;
        router.push(`/encounters/${body.encounterId}`);
        return true;
      }
      // A typed name + Enter is a search, not a code: only code-like text (digits, no spaces) gets the message.
      if (fromScan || res?.status === 409 || (/\d/.test(code) && !/\s/.test(code))) {
        setError(res ? `${body.error ?? "Unknown code."} (code “${code.slice(0, 60)}”)` : "Could not look the code up just now. Check the connection.");
      }
      return false;
    },
    [router],
  );
  const onScanned = useCallback(async (code: string) => {
    if (!(await openCode(code, true))) {
      setScanning(false);
    }
  }, [openCode]);

  return (
    <>
      <div className="mb-3 flex items-end gap-3">
        <form
          role="search"
          className="flex-1"
          onSubmit={(e) => {
            e.preventDefault();
            // Keyboard-wedge scanners type the code and press Enter.
            if (value.trim()) {
              void openCode(value.trim(), false);
            }
          }}
        >
          <label htmlFor="worklist-q" className="mb-1 block text-sm font-medium text-slate-800">Find a patient</label>
          <input
            id="worklist-q"
            name="q"
            type="search"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            placeholder="Name, MRN, birth date or visit number"
            autoComplete="off"
            enterKeyHint="search"
            className="h-14 w-full rounded-xl border border-slate-400 bg-white px-4 text-lg shadow-sm focus:outline-2 focus:outline-brand-600"
          />
        </form>
        <button type="button" onClick={() => { setError(""); setScanning(true); }} className="h-14 shrink-0 rounded-xl bg-brand-700 px-5 text-lg font-semibold text-white hover:bg-brand-900 focus:outline-2 focus:outline-offset-2 focus:outline-brand-600">
          Scan wristband
        </button>
      </div>
      <WorklistFilters options={props.options} values={filters} onChange={setFilters} />
      {error ? <p role="alert" className="mb-3 rounded-xl bg-red-50 p-3 font-medium text-red-800 ring-1 ring-red-200">{error}</p> : null}
      <div
        aria-live="polite"
        aria-busy={result.key !== toParams(value.trim(), filters).toString()}
        onClickCapture={(e) => {
          if (e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && (e.target as Element).closest("a[href]")) {
            leaving.current = true;
          }
        }}
      >
        <EncounterList encounters={result.encounters} query={result.query} />
      </div>
      {scanning ? <ScanDialog onCode={onScanned} onClose={() => setScanning(false)} /> : null}
    </>
  );
}
