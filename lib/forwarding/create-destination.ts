import type { TDb } from "../db";
import { AppError } from "../errors";

/**
 * Add (or update by name) a STOW-RS destination. Instances captured while no destination was enabled have no
 * delivery job yet; they are queued to this destination now, so nothing captured is left behind.
 * @param db - database client
 * @param input - name, DICOMweb base URL (the app POSTs to `<url>/studies`), enabled
 * @returns the destination id and how many waiting instances were queued to it
 */
export const createDestination = async (
  db: TDb,
  input: { name: string; url: string; enabled?: boolean },
): Promise<{ id: string; queued: number }> => {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new AppError("bad_request", `not a URL: ${input.url}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AppError("bad_request", "the STOW-RS URL must be http:// or https://");
  }
  const base = url.toString().replace(/\/+$/, "");

  return db.$transaction(async (tx) => {
    const dest = await tx.destination.upsert({
      where: { name: input.name },
      create: { name: input.name, url: base, enabled: input.enabled ?? true },
      update: { url: base, enabled: input.enabled ?? true },
    });
    const waiting = await tx.instance.findMany({ where: { deliveries: { none: {} } }, select: { id: true } });
    if (dest.enabled && waiting.length > 0) {
      await tx.deliveryJob.createMany({ data: waiting.map((i) => ({ instanceId: i.id, destinationId: dest.id })) });
    }

    return { id: dest.id, queued: dest.enabled ? waiting.length : 0 };
  });
};
