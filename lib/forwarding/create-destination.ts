import type { TDb } from "../db";
import { AppError } from "../errors";
import { enqueueDeliveries } from "./enqueue-deliveries";
import { parseDimseUrl } from "./parse-dimse-url";

/**
 * Add (or update by name) a destination: DICOMweb STOW-RS (`http(s)://…` base URL; the app POSTs to
 * `<url>/studies`) or DIMSE C-STORE (`dicom://CALLED_AE@host:port[?calling=AE]`, parse-dimse-url.ts). Instances
 * captured while no destination was enabled have no delivery job yet; they are queued to this destination now, so
 * nothing captured is left behind.
 * @param db - database client
 * @param input - name, URL, enabled
 * @returns the destination id and how many waiting instances were queued to it
 */
export const createDestination = async (
  db: TDb,
  input: { name: string; url: string; enabled?: boolean },
): Promise<{ id: string; queued: number }> => {
  let kind: "stow-rs" | "dimse";
  let base: string;
  if (/^dicom:/i.test(input.url.trim())) {
    parseDimseUrl(input.url.trim());
    kind = "dimse";
    base = input.url.trim();
  } else {
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw new AppError("bad_request", `not a URL: ${input.url}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new AppError("bad_request", "use an http(s):// STOW-RS base URL or dicom://CALLED_AE@host:port for C-STORE");
    }
    kind = "stow-rs";
    base = url.toString().replace(/\/+$/, "");
  }

  return db.$transaction(async (tx) => {
    const dest = await tx.destination.upsert({
      where: { name: input.name },
      create: { name: input.name, kind, url: base, enabled: input.enabled ?? true },
      update: { kind, url: base, enabled: input.enabled ?? true },
    });
    const waiting = await tx.instance.findMany({ where: { deliveries: { none: {} }, purgedAt: null }, select: { id: true } });
    // Routed as a capture would be now (resolve-routes.ts): with no rules, to every enabled destination (this one
    // included); with rules, unrouted captures stay unrouted until a rule covers them.
    const queued = dest.enabled && waiting.length > 0 ? await enqueueDeliveries(tx, waiting.map((i) => i.id)) : 0;

    return { id: dest.id, queued };
  });
};
