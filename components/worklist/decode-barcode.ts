/**
 * Reads a wristband code from camera frames: the browser's BarcodeDetector where it exists (Chrome on Android,
 * ChromeOS, macOS), else ZXing (@zxing/library, pure JS, loaded only when the scanner opens). Formats: Code 128,
 * Code 39, QR Code, Data Matrix — what patient wristbands carry.
 */
type TDetector = { detect: (source: CanvasImageSource) => Promise<{ rawValue: string }[]> };
type TDetectorCtor = { new (opts: { formats: string[] }): TDetector; getSupportedFormats?: () => Promise<string[]> };

export type TFrameDecoder = { name: "BarcodeDetector" | "ZXing"; decode: (video: HTMLVideoElement) => Promise<string | null> };

const FORMATS = ["code_128", "code_39", "qr_code", "data_matrix"];

/**
 * Grayscale (luminance) of RGBA pixels, the input ZXing's RGBLuminanceSource takes as-is.
 * @param rgba - canvas ImageData bytes
 */
export const toLuminance = (rgba: Uint8ClampedArray | Uint8Array): Uint8ClampedArray => {
  const out = new Uint8ClampedArray(rgba.length / 4);
  for (let i = 0, j = 0; j < out.length; i += 4, j++) {
    out[j] = (rgba[i]! * 77 + rgba[i + 1]! * 150 + rgba[i + 2]! * 29) >> 8;
  }

  return out;
};

/**
 * A ZXing decoder for luminance frames (shared by the browser path and the tests).
 * @returns decode(luminance, width, height) → text or null
 */
export const createZxingDecoder = async (): Promise<(lum: Uint8ClampedArray, width: number, height: number) => string | null> => {
  const zx = await import("@zxing/library");
  // The format readers one by one (MultiFormatReader logs every miss to the console, several times a second).
  const readers = [new zx.QRCodeReader(), new zx.DataMatrixReader(), new zx.Code128Reader(), new zx.Code39Reader()];
  const hints = new Map<unknown, unknown>([[zx.DecodeHintType.TRY_HARDER, true]]) as Map<never, never>;

  return (lum, width, height) => {
    const bitmap = new zx.BinaryBitmap(new zx.HybridBinarizer(new zx.RGBLuminanceSource(lum, width, height)));
    for (const reader of readers) {
      try {
        return reader.decode(bitmap, hints).getText();
      } catch {
        // not this format (or no code in the frame)
      } finally {
        reader.reset();
      }
    }

    return null;
  };
};

/** The best decoder this browser offers. */
export const createFrameDecoder = async (): Promise<TFrameDecoder> => {
  const Detector = (globalThis as { BarcodeDetector?: TDetectorCtor }).BarcodeDetector;
  const supported = Detector?.getSupportedFormats ? await Detector.getSupportedFormats().catch(() => []) : [];
  if (Detector && FORMATS.some((f) => supported.includes(f))) {
    const detector = new Detector({ formats: FORMATS.filter((f) => supported.includes(f)) });

    return { name: "BarcodeDetector", decode: async (video) => (await detector.detect(video).catch(() => []))[0]?.rawValue ?? null };
  }
  const decode = await createZxingDecoder();
  const canvas = document.createElement("canvas");

  return {
    name: "ZXing",
    decode: async (video) => {
      const width = video.videoWidth;
      const height = video.videoHeight;
      if (!width || !height) {
        return null;
      }
      canvas.width = width;
      canvas.height = height;
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      if (!ctx) {
        return null;
      }
      ctx.drawImage(video, 0, 0, width, height);

      return decode(toLuminance(ctx.getImageData(0, 0, width, height).data), width, height);
    },
  };
};
