import sharp from "sharp";
import { describe, expect, test } from "vitest";
import { inspectJpeg, stripJpegMetadata } from "@/lib/dicom/inspect-jpeg";
import { JpegFormatError } from "@/lib/dicom/photo-errors";
import { readExifOrientation } from "@/lib/dicom/read-exif-orientation";
import { walkJpeg } from "@/lib/dicom/walk-jpeg";
import {
  exifOrientationPayload,
  greyscaleJpeg,
  insertAfterSoi,
  marked,
  orientedJpeg,
  progressiveJpeg,
  segment,
  uprightPhoneJpeg,
} from "./photo-fixtures";

const plainJpeg = (): Promise<Buffer> => marked().jpeg({ mozjpeg: false }).toBuffer();

/** Marker bytes of every segment, in order. */
const segmentMarkers = (buf: Buffer): number[] =>
  walkJpeg(buf).flatMap((p) => (p.kind === "segment" ? [p.marker] : []));

/** Entropy-coded data of a JPEG, concatenated. */
const entropyOf = (buf: Buffer): Buffer =>
  Buffer.concat(walkJpeg(buf).flatMap((p) => (p.kind === "entropy" ? [buf.subarray(p.start, p.end)] : [])));

const expectJpegError = (fn: () => unknown, code: string, message: RegExp): void => {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(JpegFormatError);
  expect((thrown as JpegFormatError).code).toBe(code);
  expect((thrown as JpegFormatError).message).toMatch(message);
};

describe("inspectJpeg", () => {
  test("baseline colour JPEG: SOF0, size, 4:2:0 sampling, no orientation", async () => {
    const info = inspectJpeg(await plainJpeg());
    expect(info).toMatchObject({ sofType: "baseline", sofMarker: 0xc0, bitsPerSample: 8, width: 64, height: 48 });
    expect(info.components).toBe(3);
    expect(info.sampling.map(({ h, v }) => [h, v])).toEqual([[2, 2], [1, 1], [1, 1]]);
    expect(info.orientation).toBeNull();
    expect(info.adobeTransform).toBeNull();
  });

  test("progressive, greyscale and extended (SOF1) frames", async () => {
    expect(inspectJpeg(await progressiveJpeg()).sofType).toBe("progressive");
    const grey = inspectJpeg(await greyscaleJpeg());
    expect([grey.sofType, grey.components]).toEqual(["baseline", 1]);
    const sof1 = Buffer.from(await plainJpeg());
    const sof = walkJpeg(sof1).find((p) => p.kind === "segment" && p.marker === 0xc0);
    sof1[(sof?.start ?? 0) + 1] = 0xc1;
    expect(inspectJpeg(sof1).sofType).toBe("extended");
  });

  test("EXIF orientation in both byte orders, and from sharp", async () => {
    const jpeg = await plainJpeg();
    for (const order of ["II", "MM"] as const) {
      const withExif = insertAfterSoi(jpeg, [segment(0xe1, exifOrientationPayload(8, order))]);
      expect(inspectJpeg(withExif).orientation).toBe(8);
    }
    expect(inspectJpeg(await orientedJpeg(6)).orientation).toBe(6);
    expect(inspectJpeg(await uprightPhoneJpeg()).orientation).toBe(1);
  });

  test("Adobe APP14 transform flag", async () => {
    const adobe = Buffer.from([0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, 0]);
    const info = inspectJpeg(insertAfterSoi(await plainJpeg(), [segment(0xee, adobe)]));
    expect(info.adobeTransform).toBe(0);
  });

  test("rejects non-JPEG, truncated and malformed input with a typed error", async () => {
    const jpeg = await plainJpeg();
    const png = await marked().png().toBuffer();
    expectJpegError(() => inspectJpeg(png), "not-jpeg", /SOI/);
    expectJpegError(() => inspectJpeg(Buffer.from("hello")), "not-jpeg", /SOI/);
    expectJpegError(() => inspectJpeg(jpeg.subarray(0, jpeg.length - 2)), "truncated", /EOI/);
    const scan = walkJpeg(jpeg).find((p) => p.kind === "entropy");
    const midScan = Math.floor(((scan?.start ?? 0) + (scan?.end ?? 0)) / 2);
    expectJpegError(() => inspectJpeg(jpeg.subarray(0, midScan)), "truncated", /EOI/);
    expectJpegError(() => inspectJpeg(jpeg.subarray(0, 30)), "truncated", /past the end/);
    const badLength = Buffer.from(jpeg);
    badLength.writeUInt16BE(0xfff0, 4); // first segment claims to run far past the end
    expectJpegError(() => inspectJpeg(badLength), "truncated", /past the end/);
    const noMarker = Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0x12, 0x34]), jpeg.subarray(2)]);
    expectJpegError(() => inspectJpeg(noMarker), "malformed", /expected a marker/);
  });
});

describe("readExifOrientation", () => {
  test("returns null for damaged or absent EXIF", () => {
    const good = exifOrientationPayload(6, "MM");
    expect(readExifOrientation(good)).toBe(6);
    expect(readExifOrientation(good.subarray(0, 16))).toBeNull();
    expect(readExifOrientation(Buffer.from("Exif\0\0XX*\0", "latin1"))).toBeNull();
    expect(readExifOrientation(exifOrientationPayload(9, "II"))).toBeNull();
    expect(readExifOrientation(Buffer.from("http://ns.adobe.com/xap/1.0/\0", "latin1"))).toBeNull();
  });
});

describe("stripJpegMetadata", () => {
  test("removes EXIF, XMP, MPF, IPTC, COM, trailer; keeps JFIF, ICC, tables, scan byte for byte", async () => {
    const input = await uprightPhoneJpeg();
    const stripped = stripJpegMetadata(input);
    expect(segmentMarkers(input)).toEqual(expect.arrayContaining([0xe1, 0xed, 0xfe]));
    const kept = segmentMarkers(stripped);
    expect(kept.filter((m) => m >= 0xe0 && m <= 0xef)).toEqual([0xe0, 0xe2]); // JFIF, ICC_PROFILE
    expect(kept).not.toContain(0xfe);
    const text = stripped.toString("latin1");
    for (const leaked of ["Exif", "GPS", "TestCam", "xmpmeta", "MPF", "Photoshop", "serial", "TRAILER"]) {
      expect(text).not.toContain(leaked);
    }
    expect(text).toContain("ICC_PROFILE");
    expect(entropyOf(stripped).equals(entropyOf(input))).toBe(true);
    // Non-metadata segments (DQT, SOF, DHT, SOS) are identical and in the same order.
    const tables = (b: Buffer): string[] =>
      walkJpeg(b).flatMap((p) => (p.kind === "segment" && (p.marker < 0xe0 || p.marker > 0xef) && p.marker !== 0xfe
        ? [b.subarray(p.start, p.end).toString("hex")]
        : []));
    expect(tables(stripped)).toEqual(tables(input));
    expect(stripped.subarray(-2).toString("hex")).toBe("ffd9");
    // Same decoded pixels.
    const [a, b] = await Promise.all([input, stripped].map((j) => sharp(j).raw().toBuffer()));
    expect(b?.equals(a as Buffer)).toBe(true);
  });

  test("keeps the Adobe APP14 segment", async () => {
    const adobe = segment(0xee, Buffer.from([0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, 1]));
    const stripped = stripJpegMetadata(insertAfterSoi(await plainJpeg(), [adobe]));
    expect(inspectJpeg(stripped).adobeTransform).toBe(1);
  });

  test("a JPEG without metadata comes back identical", async () => {
    const jpeg = await plainJpeg();
    expect(stripJpegMetadata(jpeg).equals(jpeg)).toBe(true);
  });
});

describe("inspectJpeg: ICC profile and EXIF payload", () => {
  const iccChunk = (seq: number, count: number, data: Buffer): Buffer =>
    segment(0xe2, Buffer.concat([Buffer.from("ICC_PROFILE\0", "latin1"), Buffer.from([seq, count]), data]));

  test("reassembles an ICC profile split over APP2 chunks by sequence number, in any order", async () => {
    const profile = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const jpeg = insertAfterSoi(await plainJpeg(), [
      iccChunk(2, 2, profile.subarray(1000)),
      iccChunk(1, 2, profile.subarray(0, 1000)),
    ]);
    expect(inspectJpeg(jpeg).iccProfile?.equals(profile)).toBe(true);
  });

  test("an incomplete ICC profile (a chunk missing) is no profile", async () => {
    const jpeg = insertAfterSoi(await plainJpeg(), [iccChunk(1, 2, Buffer.alloc(100, 7))]);
    expect(inspectJpeg(jpeg).iccProfile).toBeNull();
  });

  test("exposes the first Exif APP1 payload for date reading, null without one", async () => {
    const exif = exifOrientationPayload(3, "MM");
    const info = inspectJpeg(insertAfterSoi(await plainJpeg(), [segment(0xe1, exif)]));
    expect(info.exif?.equals(exif)).toBe(true);
    expect(info.orientation).toBe(3);
    expect(inspectJpeg(await plainJpeg()).exif).toBeNull();
  });
});
