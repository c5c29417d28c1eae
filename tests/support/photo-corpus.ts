/**
 * A photo corpus generated at test time (no binary fixtures): every accepted format, EXIF orientations 1–8, planted
 * GPS / serial numbers / maker notes / EXIF thumbnail, a Display P3 ICC profile, HEIC with and without `irot`.
 *
 * Every image shows the same upright truth: a 64×48 asymmetric pattern (four coloured quadrants, a red marker in
 * the top-left corner), so "decoded DICOM pixels ≈ truth" proves both fidelity and orientation. Stored pixels are
 * computed from the truth by the EXIF 2.32 Orientation definitions (row 0 / column 0 placement), independently of
 * sharp; then sharp's own auto-orient is used as a cross-check of the generator. Tools: sharp, exiftool
 * (libimage-exiftool-perl) and heif-enc (libheif-examples); a missing tool fails with the package to install.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";

type TSharp = ReturnType<typeof sharp>;

export const TRUTH_WIDTH = 64;
export const TRUTH_HEIGHT = 48;
export const MARKER = 16;

/** Strings planted in the metadata of every corpus file; none may survive anywhere in a DICOM file. */
export const PLANTED = [
  "BODY-SN-7731",
  "LENS-SN-4417",
  "GPS-SECRET-PLACE",
  "MAKERNOTE-SECRET",
  "THUMB-SECRET",
  "TestCam",
  "Phone X",
] as const;
/** The planted capture time: 2025-03-14 08:15:30.250 at +01:00, i.e. 07:15:30.250 UTC. */
export const PLANTED_DATE_TIME = new Date(Date.UTC(2025, 2, 14, 7, 15, 30, 250));

const QUADRANTS: Array<[number, number, number]> = [
  [30, 60, 200], // top-left: blue
  [40, 170, 60], // top-right: green
  [200, 180, 40], // bottom-left: yellow
  [120, 40, 140], // bottom-right: purple
];
const RED: [number, number, number] = [220, 20, 20];

/** The upright truth, raw RGB (or RGBA with `alpha`: the left half fully transparent). */
export const truthPixels = (alpha = false): Buffer => {
  const channels = alpha ? 4 : 3;
  const px = Buffer.alloc(TRUTH_WIDTH * TRUTH_HEIGHT * channels);
  for (let y = 0; y < TRUTH_HEIGHT; y++) {
    for (let x = 0; x < TRUTH_WIDTH; x++) {
      const q = (y < 32 ? 0 : 2) + (x < 32 ? 0 : 1);
      const rgb = x < MARKER && y < MARKER ? RED : (QUADRANTS[q] as [number, number, number]);
      px.set(alpha ? [...rgb, x < TRUTH_WIDTH / 2 ? 0 : 255] : rgb, (y * TRUTH_WIDTH + x) * channels);
    }
  }
  return px;
};

/** The truth as a flattened-on-white RGB image: what a PNG with alpha must become. */
export const truthOnWhite = (): Buffer => {
  const rgba = truthPixels(true);
  const rgb = Buffer.alloc(TRUTH_WIDTH * TRUTH_HEIGHT * 3);
  for (let i = 0; i < TRUTH_WIDTH * TRUTH_HEIGHT; i++) {
    const opaque = rgba[i * 4 + 3] === 255;
    rgb.set(opaque ? rgba.subarray(i * 4, i * 4 + 3) : [255, 255, 255], i * 3);
  }
  return rgb;
};

/**
 * Stored pixels for EXIF Orientation `o` (EXIF 2.32 Table 4, tag 0x0112): where stored row 0 and column 0 lie in
 * the upright image. 1 top/left, 2 top/right, 3 bottom/right, 4 bottom/left, 5 left/top, 6 right/top,
 * 7 right/bottom, 8 left/bottom. Orientations 5–8 swap width and height.
 */
export const storedForOrientation = (
  truth: Buffer,
  o: number,
  channels = 3,
): { pixels: Buffer; width: number; height: number } => {
  const [W, H] = [TRUTH_WIDTH, TRUTH_HEIGHT];
  const swap = o >= 5;
  const [width, height] = swap ? [H, W] : [W, H];
  const pixels = Buffer.alloc(width * height * channels);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const [y, x] = (
        {
          1: [r, c],
          2: [r, W - 1 - c],
          3: [H - 1 - r, W - 1 - c],
          4: [H - 1 - r, c],
          5: [c, r],
          6: [c, W - 1 - r],
          7: [H - 1 - c, W - 1 - r],
          8: [H - 1 - c, r],
        } as Record<number, [number, number]>
      )[o] as [number, number];
      const from = (y * W + x) * channels;
      pixels.set(truth.subarray(from, from + channels), (r * width + c) * channels);
    }
  }
  return { pixels, width, height };
};

/** Runs a corpus tool; a missing one fails naming its Debian package. */
export const runTool = (command: string, args: string[], debianPackage: string): string => {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
    throw new Error(`${command} is not installed: apt-get install -y --no-install-recommends ${debianPackage}`);
  }
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with ${result.status}: ${result.stderr}`);
  }
  return result.stdout;
};

/** Mean absolute difference per sample of two equally sized raw buffers. */
export const meanAbsDiff = (a: Buffer, b: Buffer): number => {
  if (a.length !== b.length) {
    throw new Error(`pixel buffers differ in size: ${a.length} vs ${b.length}`);
  }
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    sum += Math.abs((a[i] as number) - (b[i] as number));
  }
  return sum / a.length;
};

export type TCorpusEntry = {
  name: string;
  file: Buffer;
  /** Declared like an upload: a file extension. */
  declaredType: string;
  expected: {
    encoding: "jpeg" | "native";
    reencoded: boolean;
    photometric: "YBR_FULL_422" | "YBR_FULL" | "RGB" | "MONOCHROME2";
    /** Upright truth in the stored colour space: RGB, or luma for greyscale. */
    truth: Buffer;
    /** Largest acceptable mean absolute difference against `truth` (0 = exact). */
    maxMeanDiff: number;
    /** "source": the planted Display P3 profile; "srgb": our assumed sRGB; null: no ICC (greyscale). */
    icc: "source" | "srgb" | null;
    /** Whether EXIF DateTimeOriginal was planted (then Content Date/Time must come from it). */
    exifDate: boolean;
    /** Whether the planted privacy metadata was written into this file (exiftool can check the source). */
    planted: boolean;
  };
};

/** exiftool arguments planting GPS, serials, maker notes, a thumbnail and the capture time. */
const privacyArgs = (dir: string, withThumbnail: boolean): string[] => [
  "-Make=TestCam",
  "-Model=Phone X",
  "-SerialNumber=BODY-SN-7731",
  "-LensSerialNumber=LENS-SN-4417",
  "-GPSLatitude=51.50123",
  "-GPSLatitudeRef=N",
  "-GPSLongitude=0.12766",
  "-GPSLongitudeRef=W",
  "-GPSProcessingMethod=GPS-SECRET-PLACE",
  "-DateTimeOriginal=2025:03:14 08:15:30",
  "-SubSecTimeOriginal=250",
  "-OffsetTimeOriginal=+01:00",
  `-MakerNotes<=${path.join(dir, "makernote.bin")}`,
  ...(withThumbnail ? [`-ThumbnailImage<=${path.join(dir, "thumb.jpg")}`] : []),
];

/** Writes all files, then plants metadata in one exiftool process (one -execute section per file). */
const plantAll = (dir: string, jobs: Array<{ file: string; args: string[] }>): void => {
  const lines = jobs.flatMap((j) => ["-overwrite_original", "-q", ...j.args, path.join(dir, j.file), "-execute"]);
  const argFile = path.join(dir, "exiftool.args");
  writeFileSync(argFile, `${lines.join("\n")}\n`);
  runTool("exiftool", ["-@", argFile], "libimage-exiftool-perl");
};

/**
 * Adds an `irot` property (ISO/IEC 23008-12 §6.5.10: anticlockwise rotation by angle × 90°) to the primary item of
 * a HEIF written by heif-enc: appended to `ipco`, associated (essential) with the `pitm` item in `ipma`, enclosing
 * box sizes and the file-relative `iloc` offsets (construction method 0, data in the following `mdat`) adjusted.
 */
export const addHeifRotation = (heif: Buffer, angle: 1 | 2 | 3): Buffer => {
  const boxes = (start: number, end: number): Array<{ type: string; at: number; size: number }> => {
    const out = [];
    for (let at = start; at + 8 <= end; ) {
      const size = heif.readUInt32BE(at);
      out.push({ type: heif.toString("latin1", at + 4, at + 8), at, size });
      at += size;
    }
    return out;
  };
  const find = <T extends { type: string }>(list: T[], type: string): T => {
    const b = list.find((x) => x.type === type);
    if (b === undefined) {
      throw new Error(`HEIF box ${type} not found`);
    }
    return b;
  };
  const meta = find(boxes(0, heif.length), "meta");
  const metaChildren = boxes(meta.at + 12, meta.at + meta.size);
  const primary = heif.readUInt16BE(find(metaChildren, "pitm").at + 12);
  const iprp = find(metaChildren, "iprp");
  const iprpChildren = boxes(iprp.at + 8, iprp.at + iprp.size);
  const ipco = find(iprpChildren, "ipco");
  const ipma = find(iprpChildren, "ipma");
  const iloc = find(metaChildren, "iloc");
  const propertyCount = boxes(ipco.at + 8, ipco.at + ipco.size).length;
  if (heif[ipma.at + 8] !== 0 || (heif[ipma.at + 11] ?? 0) & 1) {
    throw new Error("addHeifRotation handles version-0 ipma with 7-bit property indices only");
  }
  // Find the end of the primary item's association list.
  let p = ipma.at + 16;
  let insertAt = -1;
  let countAt = -1;
  for (let i = 0, n = heif.readUInt32BE(ipma.at + 12); i < n; i++) {
    const item = heif.readUInt16BE(p);
    const count = heif[p + 2] as number;
    if (item === primary) {
      countAt = p + 2;
      insertAt = p + 3 + count;
    }
    p += 3 + count;
  }
  if (insertAt < 0) {
    throw new Error("HEIF primary item has no ipma entry");
  }
  const irot = Buffer.from([0, 0, 0, 9, 0x69, 0x72, 0x6f, 0x74, angle]);
  const growth = irot.length + 1;
  const out = Buffer.concat([
    heif.subarray(0, ipco.at + ipco.size),
    irot,
    heif.subarray(ipco.at + ipco.size, insertAt),
    Buffer.from([0x80 | (propertyCount + 1)]),
    heif.subarray(insertAt),
  ]);
  const grow = (boxAt: number, by: number): void => {
    out.writeUInt32BE(out.readUInt32BE(boxAt) + by, boxAt);
  };
  grow(meta.at, growth);
  grow(iprp.at, growth);
  grow(ipco.at, irot.length);
  grow(ipma.at + irot.length, 1);
  out[countAt + irot.length] = (out[countAt + irot.length] as number) + 1;
  // iloc (ISO/IEC 14496-12 §8.11.3), before ipco so unmoved: sizes in nibbles; shift construction-method-0 extents.
  const v = out[iloc.at + 8] as number;
  const [offSize, lenSize, baseSize] = [out[iloc.at + 12]! >> 4, out[iloc.at + 12]! & 15, out[iloc.at + 13]! >> 4];
  if (offSize !== 4 || baseSize !== 4 || v > 1) {
    throw new Error("addHeifRotation expects iloc v0/v1 with 4-byte offsets");
  }
  p = iloc.at + 14;
  const items = out.readUInt16BE(p);
  p += 2;
  for (let i = 0; i < items; i++) {
    const method = v === 1 ? out.readUInt16BE(p + 2) & 15 : 0;
    p += 2 + (v === 1 ? 2 : 0) + 2;
    // heif-enc puts the absolute position in base_offset and 0 in the extent offset; other writers do the opposite.
    const base = out.readUInt32BE(p);
    if (method === 0 && base > 0) {
      out.writeUInt32BE(base + growth, p);
    }
    p += baseSize;
    const extents = out.readUInt16BE(p);
    p += 2;
    for (let e = 0; e < extents; e++) {
      if (method === 0 && base === 0) {
        out.writeUInt32BE(out.readUInt32BE(p) + growth, p);
      }
      p += offSize + lenSize;
    }
  }
  return out;
};

const rawImage = (pixels: Buffer, width: number, height: number, channels: 3 | 4 = 3): TSharp =>
  sharp(pixels, { raw: { width, height, channels } });

/** Checks that sharp's auto-orient of a generated file gives the truth back: guards the generator itself. */
const crossCheck = async (name: string, file: Buffer, truth: Buffer, maxDiff: number): Promise<void> => {
  const { data } = await sharp(file, { ignoreIcc: true })
    .rotate()
    .flatten({ background: "#ffffff" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const diff = meanAbsDiff(data, truth);
  if (diff > maxDiff) {
    throw new Error(`corpus generator: ${name} does not decode to the truth (mean diff ${diff.toFixed(2)})`);
  }
};

type TSpec = { name: string; ext: string; file: string; encode: () => Promise<Buffer>; plant: string[]; expected: TCorpusEntry["expected"] };

/**
 * Generates the corpus in `dir`.
 * @param dir - an empty scratch directory
 * @returns one entry per input, with what the DICOM made from it must look like
 */
export const buildPhotoCorpus = async (dir: string): Promise<TCorpusEntry[]> => {
  const truth = truthPixels();
  // Greyscale truth: what sharp's b-w conversion (used to make the grey inputs) gives for the truth.
  const grey = await rawImage(truth, TRUTH_WIDTH, TRUTH_HEIGHT).toColourspace("b-w").raw().toBuffer();
  const p3 = (await sharp(truth, { raw: { width: TRUTH_WIDTH, height: TRUTH_HEIGHT, channels: 3 } })
    .withIccProfile("p3")
    .png()
    .toBuffer()
    .then((png) => sharp(png).metadata())).icc as Buffer;
  writeFileSync(path.join(dir, "p3.icc"), p3);
  writeFileSync(path.join(dir, "makernote.bin"), "MAKERNOTE-SECRET vendor block");
  const thumb = await rawImage(truth, TRUTH_WIDTH, TRUTH_HEIGHT).resize(16, 12).jpeg().toBuffer();
  writeFileSync(path.join(dir, "thumb.jpg"), Buffer.concat([thumb.subarray(0, 2), Buffer.from("\xff\xfe\x00\x0eTHUMB-SECRET", "latin1"), thumb.subarray(2)]));

  const jpegOpts = { quality: 95, mozjpeg: false, progressive: false, chromaSubsampling: "4:2:0" } as const;
  const stored = (o: number): TSharp => {
    const s = storedForOrientation(truth, o);
    return rawImage(s.pixels, s.width, s.height);
  };
  const colour = (over: Partial<TCorpusEntry["expected"]>): TCorpusEntry["expected"] => ({
    encoding: "jpeg",
    reencoded: true,
    photometric: "YBR_FULL_422",
    truth,
    maxMeanDiff: 6, // two JPEG generations (q95 source, q95 re-encode) at hard 4:2:0 colour edges
    icc: "srgb",
    exifDate: true,
    planted: true,
    ...over,
  });
  const meta = (thumbnail: boolean, o: number | null, iccFile = false): string[] => [
    ...privacyArgs(dir, thumbnail),
    ...(o === null ? [] : [`-Orientation#=${o}`]),
    ...(iccFile ? [`-ICC_Profile<=${path.join(dir, "p3.icc")}`] : []),
  ];
  const specs: TSpec[] = [];
  for (const o of [1, 2, 3, 4, 5, 6, 7, 8]) {
    specs.push({
      name: `JPEG baseline, EXIF orientation ${o}`,
      ext: ".jpg",
      file: `jpeg-o${o}.jpg`,
      encode: () => stored(o).jpeg(jpegOpts).toBuffer(),
      plant: meta(true, o),
      expected: colour({ reencoded: o !== 1, maxMeanDiff: o === 1 ? 4 : 6 }),
    });
  }
  specs.push(
    {
      name: "JPEG progressive, orientation 6",
      ext: ".jpeg",
      file: "jpeg-progressive.jpg",
      encode: () => stored(6).jpeg({ ...jpegOpts, progressive: true }).toBuffer(),
      plant: meta(true, 6),
      expected: colour({}),
    },
    {
      name: "JPEG baseline 4:4:4 (YBR_FULL is not allowed in VL images: re-encoded)",
      ext: ".jpg",
      file: "jpeg-444.jpg",
      encode: () => stored(1).jpeg({ ...jpegOpts, chromaSubsampling: "4:4:4" }).toBuffer(),
      plant: meta(false, 1),
      expected: colour({}),
    },
    {
      name: "JPEG baseline with a Display P3 profile",
      ext: ".jpg",
      file: "jpeg-p3.jpg",
      encode: () => stored(1).jpeg(jpegOpts).toBuffer(),
      plant: meta(false, 1, true),
      expected: colour({ reencoded: false, icc: "source" }),
    },
    {
      name: "JPEG Display P3, orientation 8",
      ext: ".jpg",
      file: "jpeg-p3-o8.jpg",
      encode: () => stored(8).jpeg(jpegOpts).toBuffer(),
      plant: meta(false, 8, true),
      expected: colour({ icc: "source" }),
    },
    {
      name: "JPEG greyscale",
      ext: ".jpg",
      file: "jpeg-grey.jpg",
      encode: () => stored(1).toColourspace("b-w").jpeg(jpegOpts).toBuffer(),
      plant: meta(false, null),
      expected: colour({ reencoded: false, photometric: "MONOCHROME2", truth: grey, icc: null }),
    },
    {
      name: "PNG RGB, Display P3, orientation 8",
      ext: ".png",
      file: "png-p3-o8.png",
      encode: () => stored(8).png().toBuffer(),
      plant: meta(false, 8, true),
      expected: colour({ encoding: "native", photometric: "RGB", maxMeanDiff: 0, icc: "source" }),
    },
    {
      name: "PNG with alpha",
      ext: ".png",
      file: "png-alpha.png",
      encode: () => rawImage(truthPixels(true), TRUTH_WIDTH, TRUTH_HEIGHT, 4).png().toBuffer(),
      plant: meta(false, null),
      expected: colour({ encoding: "native", photometric: "RGB", maxMeanDiff: 0, truth: truthOnWhite() }),
    },
    {
      name: "PNG 16-bit",
      ext: ".png",
      file: "png-16.png",
      encode: () => stored(1).toColourspace("rgb16").png().toBuffer(),
      plant: [],
      expected: colour({ encoding: "native", photometric: "RGB", maxMeanDiff: 0, exifDate: false, planted: false }),
    },
    {
      name: "PNG greyscale",
      ext: ".png",
      file: "png-grey.png",
      encode: () => stored(1).toColourspace("b-w").png().toBuffer(),
      plant: [],
      expected: colour({
        encoding: "native",
        photometric: "MONOCHROME2",
        maxMeanDiff: 1,
        truth: grey,
        icc: null,
        exifDate: false,
        planted: false,
      }),
    },
    {
      name: "TIFF LZW, orientation 6",
      ext: ".tif",
      file: "tiff-lzw.tif",
      encode: () => stored(6).tiff({ compression: "lzw" }).toBuffer(),
      plant: meta(false, 6),
      expected: colour({ encoding: "native", photometric: "RGB", maxMeanDiff: 0 }),
    },
    {
      name: "TIFF JPEG-compressed",
      ext: ".tiff",
      file: "tiff-jpeg.tif",
      encode: () => stored(1).tiff({ compression: "jpeg", quality: 95 }).toBuffer(),
      plant: meta(false, null),
      expected: colour({}),
    },
    {
      name: "WebP lossy, orientation 3",
      ext: ".webp",
      file: "webp-lossy.webp",
      encode: () => stored(3).webp({ quality: 95 }).toBuffer(),
      plant: meta(false, 3),
      expected: colour({ maxMeanDiff: 6 }),
    },
    {
      name: "WebP lossless",
      ext: ".webp",
      file: "webp-lossless.webp",
      encode: () => stored(1).webp({ lossless: true }).toBuffer(),
      plant: meta(false, null),
      expected: colour({ encoding: "native", photometric: "RGB", maxMeanDiff: 0 }),
    },
    {
      name: "AVIF",
      ext: ".avif",
      file: "photo.avif",
      encode: () => stored(1).avif({ quality: 90, chromaSubsampling: "4:4:4" }).toBuffer(),
      plant: [],
      expected: colour({ exifDate: false, planted: false }),
    },
  );
  // HEIC: heif-enc encodes a JPEG that carries the planted EXIF (heif-enc copies it into the HEIF).
  specs.push(
    {
      name: "HEIC",
      ext: ".HEIC",
      file: "heic-src.jpg",
      encode: () => stored(1).jpeg({ ...jpegOpts, quality: 98 }).toBuffer(),
      plant: meta(false, 1),
      expected: colour({ maxMeanDiff: 6 }),
    },
    {
      name: "HEIC with a Display P3 profile",
      ext: ".heif",
      file: "heic-p3-src.jpg",
      encode: () => stored(1).jpeg({ ...jpegOpts, quality: 98 }).toBuffer(),
      plant: meta(false, 1, true),
      expected: colour({ maxMeanDiff: 6, icc: "source" }),
    },
    {
      name: "HEIC with irot (EXIF says 6, as iPhones write)",
      ext: ".heic",
      file: "heic-irot-src.jpg",
      encode: () => stored(6).jpeg({ ...jpegOpts, quality: 98 }).toBuffer(),
      plant: meta(false, 6),
      expected: colour({ maxMeanDiff: 6 }),
    },
  );
  for (const s of specs) {
    writeFileSync(path.join(dir, s.file), await s.encode());
  }
  plantAll(dir, specs.filter((s) => s.plant.length > 0).map((s) => ({ file: s.file, args: s.plant })));
  const entries: TCorpusEntry[] = [];
  for (const s of specs) {
    let file: Buffer = readFileSync(path.join(dir, s.file));
    if (s.ext.toLowerCase() === ".heic" || s.ext === ".heif") {
      const out = path.join(dir, s.file.replace(/-src\.jpg$/, ".heic"));
      runTool("heif-enc", ["-q", "90", "-o", out, path.join(dir, s.file)], "libheif-examples");
      file = readFileSync(out);
      if (s.file.startsWith("heic-irot")) {
        file = addHeifRotation(file, 3); // stored = upright turned 90° anticlockwise; 3 × 90° anticlockwise undoes it
      }
      writeFileSync(out, file);
    } else if (s.expected.photometric !== "MONOCHROME2") {
      await crossCheck(s.name, file, s.expected.truth, s.expected.encoding === "native" ? 0 : 6);
    }
    entries.push({ name: s.name, file, declaredType: s.ext, expected: s.expected });
  }
  return entries;
};
