/**
 * Magic-byte sniffing and declared-type parsing: the basis of "content must match its declared type".
 */
import sharp from "sharp";
import { describe, expect, test } from "vitest";
import { parseDeclaredType } from "@/lib/dicom/parse-declared-type";
import { isPhotoMediaType, sniffMediaType } from "@/lib/dicom/sniff-media-type";

const ftyp = (major: string, ...compatible: string[]): Buffer => {
  const body = Buffer.from(`ftyp${major}\0\0\0\0${compatible.join("")}`, "latin1");
  const size = Buffer.alloc(4);
  size.writeUInt32BE(body.length + 4);
  return Buffer.concat([size, body, Buffer.alloc(16)]);
};

describe("sniffMediaType", () => {
  const image = sharp({ create: { width: 8, height: 8, channels: 3, background: "#808080" } });
  test.each([
    ["jpeg", () => image.clone().jpeg().toBuffer()],
    ["png", () => image.clone().png().toBuffer()],
    ["webp", () => image.clone().webp().toBuffer()],
    ["tiff", () => image.clone().tiff().toBuffer()],
    ["avif", () => image.clone().avif().toBuffer()],
    ["gif", () => image.clone().gif().toBuffer()],
  ] as const)("%s written by sharp", async (type, make) => {
    expect(sniffMediaType(await make())).toBe(type);
  });

  test("ISO BMFF brands: HEIC vs AVIF vs video; the major brand decides first", () => {
    expect(sniffMediaType(ftyp("heic", "mif1", "heic"))).toBe("heic");
    expect(sniffMediaType(ftyp("mif1", "heic", "miaf"))).toBe("heic");
    expect(sniffMediaType(ftyp("avif", "mif1", "miaf"))).toBe("avif");
    expect(sniffMediaType(ftyp("isom", "isom", "mp42"))).toBe("video");
    expect(sniffMediaType(ftyp("qt  "))).toBe("video");
  });

  test("documents and DICOM are recognised, to be refused by name", () => {
    expect(sniffMediaType(Buffer.from("%PDF-1.4"))).toBe("pdf");
    expect(sniffMediaType(Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe("svg");
    expect(sniffMediaType(Buffer.concat([Buffer.alloc(128), Buffer.from("DICM")]))).toBe("dicom");
    expect(sniffMediaType(Buffer.from("BM"))).toBeNull(); // too short to be a BMP
    expect(sniffMediaType(Buffer.from("just text"))).toBeNull();
    expect(isPhotoMediaType("heic") && !isPhotoMediaType("gif") && !isPhotoMediaType("dicom")).toBe(true);
  });
});

describe("parseDeclaredType", () => {
  test.each([
    ["image/jpeg", "jpeg", "image/jpeg"],
    ["IMAGE/JPG; charset=binary", "jpeg", "image/jpg"],
    ["image/heif", "heic", "image/heif"],
    ["IMG_0042.HEIC", "heic", ".heic"],
    ["/some/dir/scan.TIFF", "tiff", ".tiff"],
    ["photo.jpeg", "jpeg", ".jpeg"],
    ["png", "png", ".png"],
  ])("%s → %s", (declared, type, label) => {
    expect(parseDeclaredType(declared)).toEqual({ type, label });
  });

  test("generic or unknown claims are no claim; labels never carry the file name", () => {
    for (const generic of [undefined, "", "application/octet-stream", "image/x-unknown", "photo", "a.bin"]) {
      expect(parseDeclaredType(generic)).toBeNull();
    }
    expect(parseDeclaredType("Mueller_Hans_wound.jpg")?.label).toBe(".jpg");
  });
});
