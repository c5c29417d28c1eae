/**
 * EXIF tag reading (both byte orders, the Exif IFD) and the Content / Acquisition date-time rules: EXIF
 * DateTimeOriginal (+ SubSecTimeOriginal, OffsetTimeOriginal) when plausible, else the capture time.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, test } from "vitest";
import { toDicomDateTime } from "@/lib/dicom/format-dicom-values";
import { readExifTags } from "@/lib/dicom/read-exif-tags";
import {
  EARLIEST_PLAUSIBLE,
  MAX_CLOCK_AHEAD_MS,
  parseExifDateTime,
  resolveContentDateTime,
} from "@/lib/dicom/resolve-content-date-time";
import { wrapPhoto } from "@/lib/dicom/wrap-photo";
import { readWithDcmjs } from "./dicom-expectations";
import { makeContext } from "./photo-fixtures";

const dir = mkdtempSync(path.join(tmpdir(), "photo-exif-date-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A TIFF block: IFD0 {Orientation, ExifIFD pointer}, Exif IFD {DateTimeOriginal, OffsetTimeOriginal}. */
const tiffBlock = (order: "II" | "MM", dateTime: string, offset: string): Buffer => {
  const le = order === "II";
  const b = Buffer.alloc(200);
  const u16 = (v: number, at: number): number => (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const u32 = (v: number, at: number): number => (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  const entry = (at: number, tag: number, type: number, count: number, value: number): void => {
    u16(tag, at);
    u16(type, at + 2);
    u32(count, at + 4);
    if (type === 3 && count === 1) {
      u16(value, at + 8);
    } else {
      u32(value, at + 8);
    }
  };
  b.write(order, 0, "latin1");
  u16(42, 2);
  u32(8, 4);
  u16(2, 8); // IFD0: 2 entries at 10, 22; next IFD 0 at 34
  entry(10, 0x0112, 3, 1, 6);
  entry(22, 0x8769, 4, 1, 40);
  u16(2, 40); // Exif IFD at 40: 2 entries at 42, 54; next 0 at 66
  entry(42, 0x9003, 2, dateTime.length + 1, 80);
  entry(54, 0x9011, 2, offset.length + 1, 120);
  b.write(`${dateTime}\0`, 80, "latin1");
  b.write(`${offset}\0`, 120, "latin1");
  return b;
};

describe("readExifTags", () => {
  test.each(["II", "MM"] as const)("reads Orientation and the Exif IFD dates, %s byte order", (order) => {
    const tags = readExifTags(Buffer.concat([Buffer.from("Exif\0\0"), tiffBlock(order, "2024:02:29 23:59:58", "-05:00")]));
    expect(tags).toEqual({
      orientation: 6,
      compression: null,
      dateTimeOriginal: "2024:02:29 23:59:58",
      offsetTimeOriginal: "-05:00",
      subSecTimeOriginal: null,
    });
    expect(readExifTags(tiffBlock(order, "x", "y")).orientation).toBe(6); // bare TIFF block (PNG eXIf, HEIF)
  });

  test("damaged blocks give nulls, never an error", () => {
    const block = tiffBlock("II", "2024:01:01 00:00:00", "+00:00");
    for (const damaged of [Buffer.alloc(0), block.subarray(0, 12), block.subarray(0, 50), Buffer.from("IIxx")]) {
      expect(() => readExifTags(damaged)).not.toThrow();
    }
    expect(readExifTags(block.subarray(0, 50)).dateTimeOriginal).toBeNull();
  });
});

describe("resolveContentDateTime", () => {
  const capture = new Date(Date.UTC(2025, 5, 1, 12, 0, 0));
  const tags = (dateTimeOriginal: string, offsetTimeOriginal: string | null = null, subSecTimeOriginal: string | null = null) => ({
    dateTimeOriginal,
    offsetTimeOriginal,
    subSecTimeOriginal,
  });

  test("OffsetTimeOriginal gives the exact instant; SubSecTimeOriginal the milliseconds", () => {
    const r = resolveContentDateTime(tags("2025:06:01 13:30:00", "+02:00", "25"), capture);
    expect(r).toEqual({ dateTime: new Date(Date.UTC(2025, 5, 1, 11, 30, 0, 250)), source: "exif" });
  });

  test("without an offset the camera is taken to be in the server's zone", () => {
    expect(parseExifDateTime(tags("2025:06:01 08:00:00"))).toEqual(new Date(2025, 5, 1, 8, 0, 0));
  });

  test("a week-old photo keeps its own date (it documents that day)", () => {
    expect(resolveContentDateTime(tags("2025:05:25 10:00:00", "+00:00"), capture).source).toBe("exif");
  });

  test.each([
    ["in the future beyond the clock tolerance", "2025:06:01 12:11:00", "+00:00", "capture"],
    ["a few minutes ahead (device clock drift)", "2025:06:01 12:09:00", "+00:00", "exif"],
    ["before 1990 (a reset camera clock)", "1970:01:01 00:00:00", "+00:00", "capture"],
    ["an impossible date", "2025:02:30 10:00:00", "+00:00", "capture"],
    ["an impossible time", "2025:05:30 24:10:00", "+00:00", "capture"],
    ["an unreadable value", "2025-05-30T10:00", null, "capture"],
    ["blank (the EXIF placeholder)", "    :  :     :  :  ", null, "capture"],
  ] as const)("%s → %s", (_, dateTime, offset, source) => {
    expect(resolveContentDateTime(tags(dateTime, offset), capture).source).toBe(source);
  });

  test("bounds are the documented ones", () => {
    expect(EARLIEST_PLAUSIBLE.toISOString()).toBe("1990-01-01T00:00:00.000Z");
    expect(MAX_CLOCK_AHEAD_MS).toBe(600_000);
  });

  test("preferExif false always uses the capture time", () => {
    expect(resolveContentDateTime(tags("2025:06:01 11:00:00", "+00:00"), capture, false)).toEqual({
      dateTime: capture,
      source: "capture",
    });
  });
});

describe("wrapPhoto: EXIF date into the dataset", () => {
  const photo = (dateTimeOriginal: string): Promise<Buffer> =>
    sharp({ create: { width: 32, height: 16, channels: 3, background: "#4060a0" } })
      .jpeg()
      .withExif({ IFD2: { DateTimeOriginal: dateTimeOriginal, OffsetTimeOriginal: "+01:00" } })
      .toBuffer();

  test("Content Date/Time, Acquisition DateTime and Timezone Offset follow DateTimeOriginal", async () => {
    const outPath = path.join(dir, "exif.dcm");
    const result = await wrapPhoto({ input: await photo("2025:03:14 07:00:01"), outPath, context: makeContext() });
    const expected = new Date(Date.UTC(2025, 2, 14, 6, 0, 1));
    expect(result).toMatchObject({ contentDateTime: expected, contentDateTimeSource: "exif" });
    const { dataset } = readWithDcmjs(readFileSync(outPath));
    expect(dataset.AcquisitionDateTime).toBe(toDicomDateTime(expected));
    expect(dataset.StudyDate).toBe("20250314"); // the study keeps the capture session's time
  });

  test("a capture flow that does not trust device clocks turns it off", async () => {
    const context = makeContext();
    context.instance.preferExifDateTime = false;
    const result = await wrapPhoto({ input: await photo("2025:03:14 07:00:01"), outPath: path.join(dir, "off.dcm"), context });
    expect(result).toMatchObject({ contentDateTime: context.instance.contentDateTime, contentDateTimeSource: "capture" });
  });

  test("a future DateTimeOriginal falls back to the capture time", async () => {
    const outPath = path.join(dir, "future.dcm");
    const result = await wrapPhoto({ input: await photo("2031:01:01 00:00:00"), outPath, context: makeContext() });
    expect(result.contentDateTimeSource).toBe("capture");
    expect(readWithDcmjs(readFileSync(outPath)).dataset.ContentTime).toBe("093102.005");
  });
});
