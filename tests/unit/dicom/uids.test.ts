import { describe, expect, test } from "vitest";
import {
  createUid,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  isValidUid,
  JPEG_BASELINE_TRANSFER_SYNTAX,
  VL_ENDOSCOPIC_IMAGE_STORAGE,
  VL_PHOTOGRAPHIC_IMAGE_STORAGE,
} from "@/lib/dicom/uids";

const ROOT = "1.2.826.0.1.3680043.10.999";

describe("createUid", () => {
  test("without a root: 2.25 + the decimal value of a UUID", () => {
    for (let i = 0; i < 200; i++) {
      const uid = createUid();
      expect(uid).toMatch(/^2\.25\.(0|[1-9][0-9]*)$/);
      expect(uid.length).toBeLessThanOrEqual(44);
      const value = BigInt(uid.slice(5));
      expect(value < 2n ** 128n).toBe(true);
      // UUID v4: version nibble 4 at bits 76–79.
      expect((value >> 76n) & 0xfn).toBe(4n);
    }
  });

  test("with a root: root + one decimal component, ≤ 64 characters, no leading zeros", () => {
    const uid = createUid(ROOT);
    expect(uid.startsWith(ROOT + ".")).toBe(true);
    expect(uid.slice(ROOT.length + 1)).toMatch(/^(0|[1-9][0-9]*)$/);
    expect(isValidUid(uid)).toBe(true);
    const longRoot = "1." + "2".repeat(41); // 43 characters leaves exactly 20 digits
    expect(createUid(longRoot).length).toBeLessThanOrEqual(64);
  });

  test("is unique", () => {
    const seen = new Set(Array.from({ length: 5000 }, () => createUid(ROOT)));
    expect(seen.size).toBe(5000);
  });

  test("refuses invalid or too long roots", () => {
    expect(() => createUid("1.02.3")).toThrow(/invalid/);
    expect(() => createUid("1.2.")).toThrow(/invalid/);
    expect(() => createUid("1.2.a")).toThrow(/invalid/);
    expect(() => createUid("1." + "2".repeat(42))).toThrow(/longer than 43/);
  });
});

test("constants", () => {
  expect(VL_PHOTOGRAPHIC_IMAGE_STORAGE).toBe("1.2.840.10008.5.1.4.1.1.77.1.4");
  expect(VL_ENDOSCOPIC_IMAGE_STORAGE).toBe("1.2.840.10008.5.1.4.1.1.77.1.1");
  expect(JPEG_BASELINE_TRANSFER_SYNTAX).toBe("1.2.840.10008.1.2.4.50");
  expect(EXPLICIT_VR_LITTLE_ENDIAN).toBe("1.2.840.10008.1.2.1");
  expect(isValidUid(IMPLEMENTATION_CLASS_UID)).toBe(true);
  expect(IMPLEMENTATION_VERSION_NAME.length).toBeLessThanOrEqual(16);
});
