"use client";

/**
 * MINIMAL STUB written by the capture work (helper "capture") so the capture form can report its unsent items; the
 * worklist work owns this file and its real guard (asking before a patient switch). Same API:
 * `useUnsentGuard().setUnsent(count)`. Without a provider the hook is a no-op.
 */
import { createContext, useContext, useMemo, useState, type ReactNode } from "react";

type TUnsentGuard = { unsent: number; setUnsent: (count: number) => void };

const UnsentGuardContext = createContext<TUnsentGuard>({ unsent: 0, setUnsent: () => {} });

/** Holds the number of captured items not yet recorded by the server. */
export function UnsentGuardProvider({ children }: { children: ReactNode }) {
  const [unsent, setUnsent] = useState(0);
  const value = useMemo(() => ({ unsent, setUnsent }), [unsent]);

  return <UnsentGuardContext.Provider value={value}>{children}</UnsentGuardContext.Provider>;
}

/** The guard: `setUnsent(count)` reports how many items would be lost by leaving the patient. */
export const useUnsentGuard = (): TUnsentGuard => useContext(UnsentGuardContext);
