import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DicomImportError } from "@/lib/dicom/dicom-import-errors";
import { readDicomFile, textOf } from "@/lib/dicom/read-dicom-file";
import { encodeElement, encodeItem } from "@/lib/dicom/write-reidentified";

// Hand-built byte streams for the walker's edge cases (PS3.5 §7.1, §7.5, §6.2.2, §A.4).
const dir = mkdtempSync(path.join(tmpdir(), "read-dicom-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const t = (g: number, e: number): number => ((g << 16) | e) >>> 0;
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const tagBytes = (g: number, e: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(g, 0);
  b.writeUInt16LE(e, 2);
  return b;
};
const delimiter = (e: number): Buffer => Buffer.concat([tagBytes(0xfffe, e), u32(0)]);
/** Explicit VR header with undefined length for a long-form VR (SQ, UN, OB). */
const undefinedHeader = (g: number, e: number, vr: string): Buffer =>
  Buffer.concat([tagBytes(g, e), Buffer.from(vr, "latin1"), Buffer.alloc(2), u32(0xffffffff)]);
const str = (tag: number, vr: string, v: string, explicit = true): Buffer =>
  encodeElement(tag, vr, Buffer.from(v, "latin1"), explicit);

const part10 = (transferSyntax: string, dataset: Buffer[]): Buffer => {
  const meta = Buffer.concat([str(t(2, 0x10), "UI", transferSyntax)]);
  const preamble = Buffer.alloc(132);
  preamble.write("DICM", 128, "latin1");
  return Buffer.concat([preamble, encodeElement(t(2, 0), "UL", u32(meta.length), true), meta, ...dataset]);
};
const file = (name: string, bytes: Buffer): string => {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

describe("readDicomFile", () => {
  test("explicit VR: undefined-length SQ and items; UN of undefined length is read as implicit VR", async () => {
    const nested = Buffer.concat([
      undefinedHeader(0x0008, 0x1115, "SQ"),
      tagBytes(0xfffe, 0xe000),
      u32(0xffffffff),
      str(t(0x0008, 0x1150), "UI", "1.2.3"),
      delimiter(0xe00d),
      delimiter(0xe0dd),
    ]);
    // UN with undefined length (PS3.5 §6.2.2): its items hold implicit VR elements.
    const un = Buffer.concat([
      undefinedHeader(0x0009, 0x1020, "UN"),
      tagBytes(0xfffe, 0xe000),
      u32(0xffffffff),
      str(t(0x0009, 0x0010), "LO", "VENDOR", false),
      delimiter(0xe00d),
      delimiter(0xe0dd),
    ]);
    const fragments = [Buffer.alloc(0), Buffer.from("abcd"), Buffer.from("efghij")];
    const pixel = Buffer.concat([
      undefinedHeader(0x7fe0, 0x0010, "OB"),
      ...fragments.map((f) => Buffer.concat([tagBytes(0xfffe, 0xe000), u32(f.length), f])),
      delimiter(0xe0dd),
    ]);
    const trailer = encodeElement(t(0xfffc, 0xfffc), "OB", Buffer.alloc(8), true);
    const bytes = part10("1.2.840.10008.1.2.4.50", [
      str(t(0x0008, 0x0016), "UI", "1.2.840.10008.5.1.4.1.1.6.1"),
      nested,
      un,
      str(t(0x0010, 0x0010), "PN", "Doe^J"),
      pixel,
      trailer,
    ]);
    const parsed = await readDicomFile(file("explicit.dcm", bytes));
    expect(parsed.explicitVr).toBe(true);
    expect(parsed.elements.map((e) => e.tag.toString(16))).toEqual(["80016", "81115", "91020", "100010"]);
    expect(parsed.elements[1]?.bytes.equals(nested)).toBe(true);
    expect(parsed.elements[2]?.bytes.equals(un)).toBe(true);
    expect(textOf(parsed.elements[3] as never)).toBe("Doe^J");
    const px = parsed.pixelData;
    expect(px).toMatchObject({ encapsulated: true, items: 3 });
    expect(bytes.subarray(px?.offset, px?.end).equals(pixel)).toBe(true);
    expect(parsed.trailing.map((e) => e.bytes)).toEqual([trailer]);
  });

  test("implicit VR: undefined-length sequence and defined-length Pixel Data", async () => {
    const sq = Buffer.concat([
      tagBytes(0x0010, 0x1002),
      u32(0xffffffff),
      encodeItem([str(t(0x0010, 0x0020), "LO", "X1", false)]),
      delimiter(0xe0dd),
    ]);
    const pixel = encodeElement(t(0x7fe0, 0x0010), "OW", Buffer.alloc(16, 7), false);
    const sopClass = str(t(0x0008, 0x0016), "UI", "1.2.840.10008.5.1.4.1.1.7", false);
    const bytes = part10("1.2.840.10008.1.2", [sopClass, sq, pixel]);
    const parsed = await readDicomFile(file("implicit.dcm", bytes));
    expect(parsed.explicitVr).toBe(false);
    expect(parsed.elements[1]?.bytes.equals(sq)).toBe(true);
    expect(parsed.pixelData).toMatchObject({ encapsulated: false, end: bytes.length });
  });

  test("a sequence holding something other than an item is malformed", async () => {
    const bad = Buffer.concat([undefinedHeader(0x0008, 0x1115, "SQ"), str(t(0x0008, 0x1150), "UI", "1.2")]);
    const bytes = part10("1.2.840.10008.1.2.1", [bad, delimiter(0xe0dd)]);
    await expect(readDicomFile(file("bad-seq.dcm", bytes))).rejects.toMatchObject({
      code: "malformed",
      message: expect.stringMatching(/Sequence \(0008,1115\) holds \(0008,1150\) where an item belongs/),
    });
  });

  test("an invalid explicit VR is malformed; a sequence without its delimiter is truncated", async () => {
    const badVr = Buffer.concat([tagBytes(0x0010, 0x0010), Buffer.from("zz"), Buffer.from([2, 0]), Buffer.from("AB")]);
    await expect(readDicomFile(file("bad-vr.dcm", part10("1.2.840.10008.1.2.1", [badVr])))).rejects.toMatchObject({
      code: "malformed",
    });
    const open = Buffer.concat([undefinedHeader(0x0008, 0x1115, "SQ"), encodeItem([])]);
    const error = await readDicomFile(file("open-seq.dcm", part10("1.2.840.10008.1.2.1", [open]))).catch((e) => e);
    expect(error).toBeInstanceOf(DicomImportError);
    expect((error as DicomImportError).code).toBe("truncated");
  });
});
