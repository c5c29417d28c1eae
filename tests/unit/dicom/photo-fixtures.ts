/**
 * Test inputs generated with sharp at run time (no binary fixtures). Only tests write EXIF/GPS into images.
 * Every colour image is 64×48, blue, with a 16×16 red marker in the stored top-left corner, so orientation can be
 * checked after decoding; 16-pixel multiples keep the marker on whole JPEG MCUs.
 */
import sharp from "sharp";
import type { TPhotoContext } from "@/lib/dicom/wrap-photo";
import { createUid } from "@/lib/dicom/uids";

export const WIDTH = 64;
export const HEIGHT = 48;
export const MARKER = 16;

/** Raw RGB pixels: blue with a red marker at the top-left. */
const markedPixels = (): Buffer => {
  const px = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const red = x < MARKER && y < MARKER;
      px.set(red ? [220, 20, 20] : [30, 60, 200], (y * WIDTH + x) * 3);
    }
  }
  return px;
};

export const marked = (): ReturnType<typeof sharp> =>
  sharp(markedPixels(), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } });

const baseline = { quality: 90, mozjpeg: false, progressive: false } as const;

/** A JPEG marker segment: FF marker, 16-bit length (payload + 2), payload. */
export const segment = (marker: number, payload: Buffer | string): Buffer => {
  const body = typeof payload === "string" ? Buffer.from(payload, "latin1") : payload;
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
};

/** Inserts segments right after SOI. */
export const insertAfterSoi = (jpeg: Buffer, segments: Buffer[]): Buffer =>
  Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);

/** An APP1 Exif payload holding only IFD0 Orientation, in either byte order. */
export const exifOrientationPayload = (orientation: number, order: "II" | "MM"): Buffer => {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  const le = order === "II";
  const u16 = (v: number, at: number): number => (le ? tiff.writeUInt16LE(v, at) : tiff.writeUInt16BE(v, at));
  const u32 = (v: number, at: number): number => (le ? tiff.writeUInt32LE(v, at) : tiff.writeUInt32BE(v, at));
  tiff.write(order, 0, "latin1");
  u16(42, 2);
  u32(8, 4);
  u16(1, 8); // one entry
  u16(0x0112, 10);
  u16(3, 12); // SHORT
  u32(1, 14);
  u16(orientation, 18);
  return Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
};

/** Upright baseline JPEG from a "phone": EXIF (Orientation 1, make, GPS), ICC, XMP, IPTC, MPF, COM, JFIF, trailer. */
export const uprightPhoneJpeg = async (): Promise<Buffer> => {
  const jpeg = await marked()
    .jpeg(baseline)
    .withIccProfile("srgb")
    .withExif({
      IFD0: { Make: "TestCam", Model: "Phone X", Orientation: "1" },
      IFD3: { GPSLatitudeRef: "N", GPSLatitude: "51/1 30/1 0/1", GPSLongitudeRef: "W", GPSLongitude: "0/1 7/1 0/1" },
    })
    .toBuffer();
  const jfif = Buffer.from([0x4a, 0x46, 0x49, 0x46, 0, 1, 2, 0, 0, 1, 0, 1, 0, 0]);
  const xmp = 'http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>51,30N</exif:GPSLatitude></x:xmpmeta>';
  const withExtras = insertAfterSoi(jpeg, [
    segment(0xe0, jfif),
    segment(0xe1, xmp),
    segment(0xe2, "MPF\0secondary-image-index"),
    segment(0xed, "Photoshop 3.0\0IPTC GPS city"),
    segment(0xfe, "Shot at GPS 51.5N by device serial 12345"),
  ]);
  return Buffer.concat([withExtras, Buffer.from("TRAILER-Exif-GPS-after-EOI", "latin1")]);
};

/** Baseline JPEG whose pixels are stored unrotated with EXIF Orientation `orientation`. */
export const orientedJpeg = (orientation: 6 | 8): Promise<Buffer> =>
  marked().jpeg(baseline).withMetadata({ orientation }).toBuffer();

export const progressiveJpeg = (): Promise<Buffer> => marked().jpeg({ ...baseline, progressive: true }).toBuffer();

/** Baseline colour JPEG without chroma subsampling (4:4:4). */
export const fullChromaJpeg = (): Promise<Buffer> =>
  marked().jpeg({ ...baseline, chromaSubsampling: "4:4:4" }).toBuffer();

export const greyscaleJpeg = (progressive = false): Promise<Buffer> =>
  marked().toColourspace("b-w").jpeg({ ...baseline, progressive }).toBuffer();

/** PNG with alpha: the left half fully transparent, the right half opaque blue. */
export const pngWithAlpha = (): Promise<Buffer> => {
  const px = Buffer.alloc(WIDTH * HEIGHT * 4);
  for (let i = 0; i < WIDTH * HEIGHT; i++) {
    const opaque = i % WIDTH >= WIDTH / 2;
    px.set(opaque ? [30, 60, 200, 255] : [0, 0, 0, 0], i * 4);
  }
  return sharp(px, { raw: { width: WIDTH, height: HEIGHT, channels: 4 } }).png().toBuffer();
};

/** A fixed capture context (local-time dates so DA/TM expectations are easy to state). */
export const makeContext = (overrides: Partial<TPhotoContext["series"]> = {}): TPhotoContext => ({
  patient: {
    mrn: "MRN-000123",
    issuer: "GENHOSP",
    issuerOid: "1.2.826.0.1.3680043.10.999.1",
    familyName: "Müller",
    givenName: "Jörg",
    middleName: "",
    prefix: "Dr",
    suffix: "",
    birthDate: "19700102",
    sex: "M",
  },
  encounter: {
    visitNumber: "V-2025-0042",
    visitIssuer: "GENHOSP",
    institutionName: "General Hospital",
    referringPhysician: "Attending^Anna",
  },
  study: {
    studyInstanceUid: createUid(),
    studyDateTime: new Date(2025, 2, 14, 9, 30, 15, 250),
    description: "Dermatology photo",
    procedureCode: { code: "DERM-PHOTO", scheme: "99ENCCAP", meaning: "Dermatology clinical photograph" },
    studyId: "CAP42",
  },
  series: {
    seriesInstanceUid: createUid(),
    seriesNumber: 3,
    modality: "XC",
    description: "Left forearm",
    ...overrides,
  },
  instance: {
    sopInstanceUid: createUid(),
    instanceNumber: 7,
    contentDateTime: new Date(2025, 2, 14, 9, 31, 2, 5),
    imageLaterality: "L",
  },
  operatorName: "Clinician^Derm",
});
