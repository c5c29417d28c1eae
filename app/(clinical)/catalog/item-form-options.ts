import { BODY_SITES } from "@/lib/catalog/body-sites";
import { listRoutingBuckets } from "@/lib/catalog/list-routing-buckets";
import type { TDb } from "@/lib/db";

const GROUP = { skin: "Skin", region: "Body region", endoscopy: "Endoscopy" } as const;

/** The choices the item form offers: body sites (grouped) and the active routing buckets. */
export const itemFormOptions = async (db: TDb) => ({
  bodySites: BODY_SITES.map((b) => ({ value: b.code, label: b.meaning, group: GROUP[b.group] })),
  buckets: (await listRoutingBuckets(db)).map((r) => ({ value: r.id, label: r.name })),
});
