"use client";

/**
 * "Unsent captures" guard: switching patient (or leaving the page) while captures are not sent asks first.
 *
 * API (for the capture form and anything else that holds unsent work):
 *   const guard = useUnsentGuard();
 *   useEffect(() => guard.setUnsent(items.length), [items.length]);   // report how many items are not sent yet
 *   guard.unsent                                                       // the current count (re-renders on change)
 *   await guard.confirmLeave()                                         // true when nothing is unsent or the user agreed
 * Report 0 once everything is sent (or discarded). The count lives in a tiny module-level store (no provider
 * needed); <UnsentGuard /> resets it to 0 when the page that renders it unmounts.
 *
 * <UnsentGuard /> (rendered once by the encounter page) asks in a dialog before a click on any link that leaves the
 * page (the patient banner's "Switch patient", the header's links) and lets the browser ask before reload/close
 * (beforeunload) while the count is above 0.
 */
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";

let unsentCount = 0;
const listeners = new Set<() => void>();
let ask: ((href?: string) => Promise<boolean>) | null = null;

const setUnsentCount = (count: number): void => {
  const next = Math.max(0, Math.floor(count) || 0);
  if (next !== unsentCount) {
    unsentCount = next;
    listeners.forEach((l) => l());
  }
};
const subscribe = (l: () => void): (() => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

/** The guard's state and setters; see the module comment. */
export function useUnsentGuard(): { unsent: number; setUnsent: (count: number) => void; confirmLeave: () => Promise<boolean> } {
  const unsent = useSyncExternalStore(subscribe, () => unsentCount, () => 0);
  const confirmLeave = useCallback(async () => (unsentCount === 0 ? true : ask ? ask() : window.confirm("Captures are not sent yet. Leave anyway?")), []);

  return { unsent, setUnsent: setUnsentCount, confirmLeave };
}

/** The dialog and the link / unload interception; render once on a page with unsent work. */
export function UnsentGuard() {
  const router = useRouter();
  const dialog = useRef<HTMLDialogElement>(null);
  const pending = useRef<{ resolve: (leave: boolean) => void; href?: string } | null>(null);
  const [count, setCount] = useState(0);

  useEffect(() => {
    ask = (href) =>
      new Promise<boolean>((resolve) => {
        pending.current = { resolve, href };
        setCount(unsentCount);
        dialog.current?.showModal();
      });
    const onClick = (e: MouseEvent): void => {
      const a = (e.target as Element | null)?.closest?.("a[href]") as HTMLAnchorElement | null;
      if (!a || unsentCount === 0 || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target === "_blank") {
        return;
      }
      const url = new URL(a.href, window.location.href);
      if (url.origin !== window.location.origin || url.pathname === window.location.pathname) {
        return;
      }
      e.preventDefault();
      e.stopPropagation();
      void ask?.(url.pathname + url.search);
    };
    const onUnload = (e: BeforeUnloadEvent): void => {
      if (unsentCount > 0) {
        e.preventDefault();
      }
    };
    document.addEventListener("click", onClick, true);
    window.addEventListener("beforeunload", onUnload);
    return () => {
      document.removeEventListener("click", onClick, true);
      window.removeEventListener("beforeunload", onUnload);
      ask = null;
      setUnsentCount(0);
    };
  }, []);

  const close = (leave: boolean): void => {
    const p = pending.current;
    pending.current = null;
    dialog.current?.close();
    if (leave) {
      setUnsentCount(0);
      if (p?.href) {
        router.push(p.href);
      }
    }
    p?.resolve(leave);
  };

  return (
    <dialog
      ref={dialog}
      aria-labelledby="unsent-title"
      onCancel={(e) => {
        e.preventDefault();
        close(false);
      }}
      className="m-auto max-w-md rounded-2xl p-6 shadow-xl backdrop:bg-slate-900/60"
    >
      <h2 id="unsent-title" className="text-xl font-semibold">Captures not sent</h2>
      <p className="mt-2 text-slate-700">
        {count === 1 ? "1 capture of this patient is" : `${count} captures of this patient are`} not sent yet. If you switch patient now, {count === 1 ? "it is" : "they are"} discarded.
      </p>
      <div className="mt-6 flex flex-wrap justify-end gap-3">
        <button type="button" autoFocus onClick={() => close(false)} className="min-h-12 rounded-xl bg-brand-700 px-5 font-semibold text-white hover:bg-brand-900 focus:outline-2 focus:outline-offset-2 focus:outline-brand-600">
          Stay and send
        </button>
        <button type="button" onClick={() => close(true)} className="min-h-12 rounded-xl border border-red-700 px-5 font-semibold text-red-800 hover:bg-red-50 focus:outline-2 focus:outline-offset-2 focus:outline-red-700">
          Discard and switch
        </button>
      </div>
    </dialog>
  );
}
