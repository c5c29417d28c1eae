/**
 * The first frame of a DICOM image as something sharp can read: the JPEG stream of an encapsulated JPEG (baseline /
 * extended: what our photo wrapper writes, verbatim from the camera) or the raw pixels of native 8-bit RGB or
 * monochrome Pixel Data. Other encodings (JPEG-LS, JPEG 2000, RLE, 16-bit) answer null: the caller shows a placeholder.
 */
import dcmjs from "dcmjs";
import type { SharpInput, SharpOptions } from "sharp";

dcmjs.log.setLevel("error");

const JPEG_SYNTAXES = new Set(["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"]);
const NATIVE_SYNTAXES = new Set(["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"]);

export type TPreviewSource = { input: SharpInput; options?: SharpOptions; invert?: boolean };

/**
 * @param file - the whole Part 10 file
 * @param transferSyntaxUid - as recorded for the instance
 */
export const decodeDicomPreview = (file: Buffer, transferSyntaxUid: string): TPreviewSource | null => {
  if (!JPEG_SYNTAXES.has(transferSyntaxUid) && !NATIVE_SYNTAXES.has(transferSyntaxUid)) {
    return null;
  }
  const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  const dict = dcmjs.data.DicomMessage.readFile(buffer, { ignoreErrors: true });
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  const pixels = ds.PixelData as ArrayBuffer[] | undefined;
  if (!pixels?.length) {
    return null;
  }
  if (JPEG_SYNTAXES.has(transferSyntaxUid)) {
    return { input: Buffer.from(pixels[0]!) };
  }
  const rows = Number(ds.Rows);
  const columns = Number(ds.Columns);
  const channels = Number(ds.SamplesPerPixel ?? 1);
  const photometric = String(ds.PhotometricInterpretation ?? "");
  if (Number(ds.BitsAllocated) !== 8 || !(photometric === "RGB" || photometric.startsWith("MONOCHROME"))) {
    return null;
  }
  if (channels === 3 && Number(ds.PlanarConfiguration ?? 0) !== 0) {
    return null;
  }
  const frameBytes = rows * columns * channels;
  const all = Buffer.concat(pixels.map((p) => Buffer.from(p)));
  if (!(rows > 0 && columns > 0) || all.length < frameBytes) {
    return null;
  }

  return {
    input: all.subarray(0, frameBytes),
    options: { raw: { width: columns, height: rows, channels: channels as 1 | 3 } },
    invert: photometric === "MONOCHROME1",
  };
};
