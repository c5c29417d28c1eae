import type { TDb } from "../db";

/**
 * Destinations with their queue counts, for the admin page.
 * @param db - database client
 */
export const findDestinations = async (db: TDb) => {
  const [destinations, counts] = await Promise.all([
    db.destination.findMany({ orderBy: { name: "asc" } }),
    db.deliveryJob.groupBy({ by: ["destinationId", "status"], _count: { _all: true } }),
  ]);
  const count = (id: string, statuses: string[]): number =>
    counts.filter((c) => c.destinationId === id && statuses.includes(c.status)).reduce((n, c) => n + c._count._all, 0);

  return destinations.map((d) => ({
    id: d.id,
    name: d.name,
    url: d.url,
    enabled: d.enabled,
    queued: count(d.id, ["queued", "sending"]),
    stored: count(d.id, ["stored"]),
    failed: count(d.id, ["failed"]),
  }));
};
