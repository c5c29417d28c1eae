import { z } from "zod";
import type { TWorklistFilters } from "./encounter-filters";

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "use YYYY-MM-DD");
const blank = (v: unknown): unknown => (v === "" || v === null ? undefined : v);

/** Worklist query parameters (page URL and GET /api/v1/encounters): all optional, validated. */
export const ZWorklistParams = z.object({
  q: z.preprocess(blank, z.string().max(100).optional()),
  department: z.preprocess(blank, z.string().max(64).optional()),
  location: z.preprocess(blank, z.string().max(64).optional()),
  status: z.preprocess(blank, z.enum(["active", "discharged"]).optional()),
  from: z.preprocess(blank, day.optional()),
  to: z.preprocess(blank, day.optional()),
});

/**
 * Parse worklist parameters from a URL's search params (or a plain record) into filters.
 * @param get - reads one parameter
 * @throws ZodError on an invalid value
 */
export const parseWorklistParams = (get: (name: string) => string | null | undefined): TWorklistFilters => {
  const p = ZWorklistParams.parse(Object.fromEntries(["q", "department", "location", "status", "from", "to"].map((k) => [k, get(k) ?? undefined])));

  return { q: p.q, departmentId: p.department, location: p.location, status: p.status, from: p.from, to: p.to };
};
