"use client";

import { useEffect, useRef, useState } from "react";
import type { TEncounterSummary } from "@/lib/worklist/find-encounters";
import { EncounterList } from "./encounter-list";

const REFRESH_MS = 5000;

/**
 * Search as you type (name, MRN or visit number). Results come from GET /api/v1/encounters without a page
 * navigation, so a tap on a patient is never overtaken by a late search; the URL keeps the query for "back".
 */
export function WorklistView({ initialQuery, initialEncounters }: { initialQuery: string; initialEncounters: TEncounterSummary[] }) {
  const [value, setValue] = useState(initialQuery);
  const [result, setResult] = useState({ query: initialQuery, encounters: initialEncounters });
  const [error, setError] = useState("");
  const first = useRef(true);

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
    const q = value.trim();
    const controller = new AbortController();
    const t = setTimeout(async () => {
      try {
        const res = await fetch(`/api/v1/encounters?q=${encodeURIComponent(q)}`, { signal: controller.signal, cache: "no-store" });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        setResult({ query: q, encounters: (await res.json()) as TEncounterSummary[] });
        setError("");
        window.history.replaceState(null, "", q ? `?q=${encodeURIComponent(q)}` : window.location.pathname);
      } catch (e) {
        if ((e as Error).name !== "AbortError") setError("Could not search just now. Check the connection and try again.");
      }
    }, 200);
    return () => {
      clearTimeout(t);
      controller.abort();
    };
  }, [value, tick]);

  return (
    <>
      <form role="search" className="mb-4" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="worklist-q" className="mb-1 block text-sm font-medium text-slate-700">Find a patient</label>
        <input
          id="worklist-q"
          name="q"
          type="search"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="Name, MRN or visit number"
          autoComplete="off"
          className="h-14 w-full rounded-xl border border-slate-300 bg-white px-4 text-lg shadow-sm focus:outline-2 focus:outline-brand-600"
        />
      </form>
      {error ? <p role="alert" className="mb-3 font-medium text-red-700">{error}</p> : null}
      <div aria-live="polite" aria-busy={result.query !== value.trim()}>
        <EncounterList encounters={result.encounters} query={result.query} />
      </div>
    </>
  );
}
