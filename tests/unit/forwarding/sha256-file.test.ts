/** sha256File, which the forwarder runs on every file before sending it: the digest of the whole file, any size. */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sha256File } from "@/lib/sha256-file";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-sha-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("sha256File", () => {
  // Empty, one byte, around the 1 MiB read size, and several reads with a short last one.
  it.each([0, 1, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 3_500_001])("equals SHA-256 of all %i bytes", async (n) => {
    const bytes = crypto.randomBytes(n);
    const file = path.join(dir, `f${n}.bin`);
    fs.writeFileSync(file, bytes);
    expect(await sha256File(file)).toBe(crypto.createHash("sha256").update(bytes).digest("hex"));
  });

  it("rejects for a missing file with its error code", async () => {
    await expect(sha256File(path.join(dir, "missing.bin"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
