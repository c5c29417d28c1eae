"use client";

import { usePathname, useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";

/** Search as you type (name, MRN or visit number); the list itself is rendered on the server. */
export function WorklistSearch({ initial }: { initial: string }) {
  const [value, setValue] = useState(initial);
  const router = useRouter();
  const pathname = usePathname();
  const first = useRef(true);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const t = setTimeout(() => {
      const q = value.trim();
      router.replace(q ? `${pathname}?q=${encodeURIComponent(q)}` : pathname);
    }, 250);
    return () => clearTimeout(t);
  }, [value, pathname, router]);

  return (
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
  );
}
