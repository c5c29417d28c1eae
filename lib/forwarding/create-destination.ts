import { z } from "zod";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { enqueueDeliveries } from "./enqueue-deliveries";
import { parseDimseUrl } from "./parse-dimse-url";

/**
 * The settings of a destination as an admin enters them (form, CLI). `authSecret` empty on an update means "keep
 * the stored one" (the secret is never shown back, so a form cannot send it again).
 */
export const ZDestinationInputSchema = z.object({
  name: z.string().trim().min(1, "name is required").max(64),
  url: z.string().trim().min(1, "a STOW-RS base URL (https://…) or a C-STORE address (dicom://AE@host:port) is required"),
  enabled: z.boolean().default(true),
  authType: z.enum(["none", "basic", "bearer"]).default("none"),
  authUsername: z.string().trim().max(256).default(""),
  authSecret: z.string().max(4096).default(""),
  caCertPem: z
    .string()
    .trim()
    .max(65_536)
    .refine((pem) => pem === "" || /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(pem), "the CA certificate must be PEM (-----BEGIN CERTIFICATE-----)")
    .default(""),
  maxParallel: z.coerce.number().int().min(1, "parallel requests: at least 1").max(32, "parallel requests: at most 32").default(8),
});
export type TDestinationInput = z.input<typeof ZDestinationInputSchema>;
type TParsedInput = z.output<typeof ZDestinationInputSchema>;

/** Validate the address and auth combination; returns the columns to write (secret handled by the caller). */
export const toDestinationColumns = (raw: TDestinationInput): Omit<TParsedInput, "authSecret"> & { kind: "stow-rs" | "dimse"; authSecret: string } => {
  const parsed = ZDestinationInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError("bad_request", parsed.error.issues.map((i) => i.message).join("; "));
  }
  const input = parsed.data;
  let kind: "stow-rs" | "dimse";
  let url: string;
  if (/^dicom:/i.test(input.url)) {
    parseDimseUrl(input.url);
    kind = "dimse";
    url = input.url;
  } else {
    let parsedUrl: URL;
    try {
      parsedUrl = new URL(input.url);
    } catch {
      throw new AppError("bad_request", `not a URL: ${input.url}`);
    }
    if (parsedUrl.protocol !== "http:" && parsedUrl.protocol !== "https:") {
      throw new AppError("bad_request", "use an http(s):// STOW-RS base URL or dicom://CALLED_AE@host:port for C-STORE");
    }
    if (parsedUrl.username || parsedUrl.password) {
      throw new AppError("bad_request", "put credentials in the authentication fields, not in the URL");
    }
    kind = "stow-rs";
    url = parsedUrl.toString().replace(/\/+$/, "");
  }
  if (kind === "dimse" && (input.authType !== "none" || input.caCertPem)) {
    throw new AppError("bad_request", "authentication and TLS settings apply to STOW-RS destinations only");
  }
  if (input.authType === "basic" && !input.authUsername) {
    throw new AppError("bad_request", "basic authentication needs a user name");
  }
  const none = input.authType === "none";

  return { ...input, kind, url, authUsername: input.authType === "basic" ? input.authUsername : "", authSecret: none ? "" : input.authSecret };
};

/**
 * Add (or update by name) a destination: DICOMweb STOW-RS (`http(s)://…` base URL; the app POSTs to
 * `<url>/studies`; none, basic or bearer auth; extra CA certificates for TLS) or DIMSE C-STORE
 * (`dicom://CALLED_AE@host:port[?calling=AE]`, parse-dimse-url.ts). Instances captured while no destination was
 * enabled have no delivery job yet; they are queued to this destination now, so nothing captured is left behind.
 * @param db - database client
 * @param input - name, URL, enabled, auth and TLS settings, parallelism limit
 * @returns the destination id and how many waiting instances were queued to it
 */
export const createDestination = async (db: TDb, input: TDestinationInput): Promise<{ id: string; queued: number }> => {
  const { authSecret, ...columns } = toDestinationColumns(input);
  if (columns.authType !== "none" && !authSecret) {
    const existing = await db.destination.findUnique({ where: { name: columns.name }, select: { authSecret: true, authType: true } });
    if (!existing?.authSecret) {
      throw new AppError("bad_request", `${columns.authType} authentication needs a ${columns.authType === "basic" ? "password" : "token"}`);
    }
  }
  // An empty secret on an update keeps the stored one.
  const secret = authSecret || columns.authType === "none" ? { authSecret } : {};

  return db.$transaction(async (tx) => {
    const dest = await tx.destination.upsert({
      where: { name: columns.name },
      create: { ...columns, authSecret },
      update: { ...columns, ...secret },
    });
    const waiting = await tx.instance.findMany({ where: { deliveries: { none: {} }, purgedAt: null }, select: { id: true } });
    // Routed as a capture would be now (resolve-routes.ts): with no rules, to every enabled destination (this one
    // included); with rules, unrouted captures stay unrouted until a rule covers them.
    const queued = dest.enabled && waiting.length > 0 ? await enqueueDeliveries(tx, waiting.map((i) => i.id)) : 0;

    return { id: dest.id, queued };
  });
};
