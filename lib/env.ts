/**
 * Typed, validated configuration (t3 shape, without the client half: nothing here reaches the browser).
 * Imported by the web app, the workers and the CLI so that a bad configuration fails at start with a clear
 * message. AUTH_SECRET is generated on first start and kept in DATA_DIR when unset.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { DEFAULT_DATA_DIR, defaultDatabaseUrl, parseDatabaseUrl } from "./db-url";

const emptyAsUndefined = (v: unknown): unknown => (v === "" ? undefined : v);
const port = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(65535).default(fallback));

const ZEnvSchema = z.object({
  PORT: port(3000),
  MLLP_PORT: port(2575),
  DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default(DEFAULT_DATA_DIR)),
  DATABASE_URL: z.preprocess(emptyAsUndefined, z.string().optional()),
  AUTH_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional()),
  DICOM_ORG_ROOT: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[0-2](\.(0|[1-9][0-9]*))+$/, "DICOM_ORG_ROOT must be a dotted numeric UID root such as 1.2.826.0.1.3680043.10.999")
      .max(40, "DICOM_ORG_ROOT must leave room for a unique suffix (at most 40 characters)")
      .optional(),
  ),
  /** Discharged encounters stay on the worklist this many hours (wound photos are often taken after discharge). */
  WORKLIST_DISCHARGED_HOURS: z.preprocess(emptyAsUndefined, z.coerce.number().min(0).max(24 * 365).default(72)),
  /** Inbound HL7 messages are kept this many days (0 = forever). */
  HL7_RETENTION_DAYS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(365)),
  /** Largest single upload part, bytes (videos included). */
  MAX_UPLOAD_BYTES: z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(2 * 1024 ** 3)),
  /** Longest video accepted, minutes. */
  VIDEO_MAX_MINUTES: z.preprocess(emptyAsUndefined, z.coerce.number().positive().max(24 * 60).default(20)),
  /** Largest photo, in pixels (decompression-bomb limit, checked from the header before decoding). */
  MAX_IMAGE_PIXELS: z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(100_000_000)),
  /** Transient delivery failures are retried this many hours after the job was created, then it fails. */
  DELIVERY_RETRY_HORIZON_HOURS: z.preprocess(emptyAsUndefined, z.coerce.number().positive().max(24 * 365).default(24)),
  /**
   * Local DICOM files are deleted this many days after the last of their deliveries was stored (every delivery
   * must be stored); 0 = at the forwarder's next purge run; "never" = keep them.
   */
  MEDIA_RETENTION_DAYS: z.preprocess(
    emptyAsUndefined,
    z.union([z.literal("never"), z.coerce.number().min(0, 'MEDIA_RETENTION_DAYS must be 0 or more, or "never"')]).default(30),
  ),
});

export type TEnv = {
  port: number;
  mllpPort: number;
  dataDir: string;
  databaseUrl: string;
  authSecret: string;
  dicomOrgRoot: string | undefined;
  maxUploadBytes: number;
  videoMaxMs: number;
  maxImagePixels: number;
  dischargedVisibleMs: number;
  hl7RetentionDays: number;
  /** DELIVERY_RETRY_HORIZON_HOURS in ms. */
  deliveryRetryHorizonMs: number;
  /** MEDIA_RETENTION_DAYS; null = never purge. */
  mediaRetentionDays: number | null;
};

let cached: TEnv | undefined;

/** Read the secret from DATA_DIR/auth-secret, creating it (mode 0600) on first use. */
const loadOrCreateSecret = (dataDir: string): string => {
  const file = path.join(dataDir, "auth-secret");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const secret = crypto.randomBytes(32).toString("base64url");
    try {
      fs.writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" });
    } catch {
      // another process won the race: use its secret
      return fs.readFileSync(file, "utf8").trim();
    }

    return secret;
  }
};

/**
 * The validated environment. Throws an Error listing every invalid variable.
 * @param source - the variables to read (process.env by default)
 */
export const getEnv = (source: NodeJS.ProcessEnv = process.env): TEnv => {
  if (cached && source === process.env) {
    return cached;
  }
  const parsed = ZEnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}\nSee .env.example.`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const databaseUrl = parseDatabaseUrl(e.DATABASE_URL ?? defaultDatabaseUrl(dataDir)).url;
  const env: TEnv = {
    port: e.PORT,
    mllpPort: e.MLLP_PORT,
    dataDir,
    databaseUrl,
    authSecret: e.AUTH_SECRET ?? loadOrCreateSecret(dataDir),
    dicomOrgRoot: e.DICOM_ORG_ROOT,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    videoMaxMs: e.VIDEO_MAX_MINUTES * 60_000,
    maxImagePixels: e.MAX_IMAGE_PIXELS,
    dischargedVisibleMs: e.WORKLIST_DISCHARGED_HOURS * 60 * 60 * 1000,
    hl7RetentionDays: e.HL7_RETENTION_DAYS,
    deliveryRetryHorizonMs: Math.round(e.DELIVERY_RETRY_HORIZON_HOURS * 60 * 60 * 1000),
    mediaRetentionDays: e.MEDIA_RETENTION_DAYS === "never" ? null : e.MEDIA_RETENTION_DAYS,
  };
  if (source === process.env) {
    cached = env;
  }

  return env;
};
