import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { stripJpegMetadata } from "@/lib/dicom/inspect-jpeg";
import { PhotoInputError } from "@/lib/dicom/photo-errors";
import { walkJpeg } from "@/lib/dicom/walk-jpeg";
import { wrapPhoto } from "@/lib/dicom/wrap-photo";
import { runDciodvfy, runExiftool } from "@/tests/support/dicom-tools";
import { pixelItemsOf, readWithDcmjs } from "./dicom-expectations";
import { insertAfterSoi, makeContext, segment, uprightPhoneJpeg } from "./photo-fixtures";

const dir = mkdtempSync(path.join(tmpdir(), "wrap-privacy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entropyOf = (buf: Buffer): Buffer =>
  Buffer.concat(walkJpeg(buf).flatMap((p) => (p.kind === "entropy" ? [buf.subarray(p.start, p.end)] : [])));

/** exiftool groups that would mean metadata survived. */
const METADATA_GROUPS = /\[(IFD0|IFD1|ExifIFD|GPS|XMP[-\w]*|IPTC|Photoshop|MPF0)\]|GPS|TestCam/;

describe("upright baseline JPEG from a phone", () => {
  const outPath = path.join(dir, "upright.dcm");

  test("the fragment is the input minus metadata segments; the scan data is byte-identical", async () => {
    const input = await uprightPhoneJpeg();
    const result = await wrapPhoto({ input, outPath, context: makeContext() });
    expect(result.reencoded).toBe(false);
    const file = readFileSync(outPath);
    const fragment = pixelItemsOf(file).items[1] as Buffer;
    const stripped = stripJpegMetadata(input);
    expect(fragment.subarray(0, stripped.length).equals(stripped)).toBe(true);
    expect(fragment.length - stripped.length).toBe(stripped.length % 2); // at most one 0x00 pad byte
    expect(fragment.subarray(stripped.length).every((b) => b === 0)).toBe(true);
    expect(entropyOf(stripped).equals(entropyOf(input))).toBe(true);
    expect(entropyOf(stripped).length).toBeGreaterThan(0);
  });

  test("no EXIF, GPS, XMP, IPTC, comment or trailer bytes survive anywhere in the file", () => {
    const text = readFileSync(outPath).toString("latin1");
    for (const leaked of ["Exif", "GPS", "TestCam", "Phone X", "xmpmeta", "Photoshop", "serial", "TRAILER", "MPF"]) {
      expect(text, leaked).not.toContain(leaked);
    }
  });

  test("exiftool finds no EXIF/GPS/XMP in the DICOM file nor in the extracted JPEG", async () => {
    const inputPath = path.join(dir, "input.jpg");
    writeFileSync(inputPath, await uprightPhoneJpeg());
    expect(runExiftool(inputPath)).toMatch(METADATA_GROUPS); // the check does see metadata when it is there
    const dicomReport = runExiftool(outPath);
    expect(dicomReport).toMatch(/\[DICOM\]/);
    expect(dicomReport).not.toMatch(METADATA_GROUPS);
    const jpegPath = path.join(dir, "fragment.jpg");
    writeFileSync(jpegPath, pixelItemsOf(readFileSync(outPath)).items[1] as Buffer);
    const jpegReport = runExiftool(jpegPath);
    expect(jpegReport).toMatch(/\[JFIF\]/);
    expect(jpegReport).toMatch(/\[ICC_Profile\]/);
    expect(jpegReport).not.toMatch(METADATA_GROUPS);
  });
});

describe("encapsulation details", () => {
  test("an odd-length JPEG is padded with one 0x00 and still validates", async () => {
    const base = await uprightPhoneJpeg();
    // A JFIF APP0 is kept, so growing it by one byte flips the parity of the stripped JPEG.
    const jfif = (extra: number): Buffer =>
      segment(0xe0, Buffer.concat([Buffer.from("JFIF\0\x01\x02\0\0\x01\0\x01\0\0", "latin1"), Buffer.alloc(extra)]));
    const odd = [0, 1]
      .map((extra) => insertAfterSoi(stripJpegMetadata(base).subarray(0), [jfif(extra)]))
      .find((j) => stripJpegMetadata(j).length % 2 === 1) as Buffer;
    const outPath = path.join(dir, "odd.dcm");
    await wrapPhoto({ input: odd, outPath, context: makeContext() });
    const fragment = pixelItemsOf(readFileSync(outPath)).items[1] as Buffer;
    expect(fragment.length).toBe(stripJpegMetadata(odd).length + 1);
    expect(fragment.at(-1)).toBe(0);
    expect(readWithDcmjs(readFileSync(outPath)).dataset.Rows).toBe(48);
    const report = runDciodvfy(outPath);
    expect(report.split("\n").filter((l) => l.includes("Error")), report).toEqual([]);
  });

  test("an unusable photo leaves neither the file nor a .tmp behind", async () => {
    const outPath = path.join(dir, "bad.dcm");
    await expect(wrapPhoto({ input: Buffer.from("not an image"), outPath, context: makeContext() })).rejects.toThrow(
      PhotoInputError,
    );
    expect(existsSync(outPath) || existsSync(`${outPath}.tmp`)).toBe(false);
  });

  test("a write failure leaves nothing under outPath", async () => {
    const outPath = path.join(dir, "missing-dir", "x.dcm");
    await expect(wrapPhoto({ input: await uprightPhoneJpeg(), outPath, context: makeContext() })).rejects.toThrow(
      /ENOENT/,
    );
    expect(readdirSync(dir).some((f) => f.startsWith("missing-dir"))).toBe(false);
  });

  test("rewriting an existing file replaces it whole", async () => {
    const outPath = path.join(dir, "replace.dcm");
    writeFileSync(outPath, "old content");
    const result = await wrapPhoto({ input: await uprightPhoneJpeg(), outPath, context: makeContext() });
    expect(readFileSync(outPath).length).toBe(result.size);
    expect(readFileSync(outPath).toString("latin1", 128, 132)).toBe("DICM");
  });

  test("invalid UIDs are refused before anything is written", async () => {
    const context = makeContext();
    context.instance.sopInstanceUid = "1.2.03";
    const outPath = path.join(dir, "bad-uid.dcm");
    const input = await uprightPhoneJpeg();
    await expect(wrapPhoto({ input, outPath, context })).rejects.toThrow(/not a valid DICOM UID/);
    expect(existsSync(outPath)).toBe(false);
  });
});
