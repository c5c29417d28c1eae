import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { getEnv } from "@/lib/env";

const base = (): NodeJS.ProcessEnv => ({ NODE_ENV: "test", DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "ec-env-")), AUTH_SECRET: "x".repeat(32) });

describe("delivery settings in lib/env.ts", () => {
  it("defaults: retry horizon 24 h, media kept 30 days", () => {
    expect(getEnv(base())).toMatchObject({ deliveryRetryHorizonMs: 24 * 3_600_000, mediaRetentionDays: 30 });
  });

  it("reads DELIVERY_RETRY_HORIZON_HOURS and MEDIA_RETENTION_DAYS (a number, 0, or never)", () => {
    expect(getEnv({ ...base(), DELIVERY_RETRY_HORIZON_HOURS: "1.5", MEDIA_RETENTION_DAYS: "0" })).toMatchObject({ deliveryRetryHorizonMs: 5_400_000, mediaRetentionDays: 0 });
    expect(getEnv({ ...base(), MEDIA_RETENTION_DAYS: "never" }).mediaRetentionDays).toBeNull();
  });

  it("refuses a negative retention and a zero horizon, naming the variable", () => {
    expect(() => getEnv({ ...base(), MEDIA_RETENTION_DAYS: "-1" })).toThrow(/MEDIA_RETENTION_DAYS/);
    expect(() => getEnv({ ...base(), DELIVERY_RETRY_HORIZON_HOURS: "0" })).toThrow(/DELIVERY_RETRY_HORIZON_HOURS/);
  });
});
