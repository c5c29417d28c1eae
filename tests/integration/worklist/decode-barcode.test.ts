// @test-once-per-run: uses no database (barcode decoding); scripts/test.mjs runs it in the first database pass only.
/**
 * The scanner's JS fallback (what runs where the browser has no BarcodeDetector): wristband codes in Code 128, QR
 * and Data Matrix, rendered into a camera-like RGBA frame (off-centre, scaled, blurred, grey background), decoded
 * through the same toLuminance + ZXing path as in the browser.
 */
import sharp from "sharp";
import { BarcodeFormat, Code128Reader, DataMatrixWriter, QRCodeWriter } from "@zxing/library";
import { describe, expect, it } from "vitest";
import { createZxingDecoder, toLuminance } from "@/components/worklist/decode-barcode";

/** Code 128 B modules (1 = bar) from ZXing's own pattern table: start B, data, mod-103 checksum, stop. */
const code128Modules = (text: string): number[] => {
  const patterns = (Code128Reader as unknown as { CODE_PATTERNS: number[][] }).CODE_PATTERNS;
  const values = [...text].map((c) => c.charCodeAt(0) - 32);
  const checksum = values.reduce((sum, v, i) => sum + v * (i + 1), 104) % 103;
  const symbols = [104, ...values, checksum, 106];
  const modules: number[] = [];
  for (const s of symbols) {
    patterns[s]!.forEach((width, i) => modules.push(...Array<number>(width).fill(i % 2 === 0 ? 1 : 0)));
  }

  return modules;
};

/** A printed code: modules (true = dark) `scale` pixels each, dark grey on off-white, with a 10-module quiet zone. */
const matrixPng = (dark: (x: number, y: number) => boolean, w: number, h: number, scale: [number, number]): Promise<Buffer> => {
  const q = 10;
  const [W, H] = [(w + 2 * q) * scale[0], (h + 2 * q) * scale[1]];
  const gray = Buffer.alloc(W * H, 235);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [mx, my] = [Math.floor(x / scale[0]) - q, Math.floor(y / scale[1]) - q];
      if (mx >= 0 && my >= 0 && mx < w && my < h && dark(mx, my)) {
        gray[y * W + x] = 20;
      }
    }
  }

  return sharp(gray, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer();
};

/** Put the code into a 640×480 RGBA "camera frame" (slightly blurred, on a grey scene) and decode it as the browser does. */
const decodeInFrame = async (png: Buffer): Promise<string | null> => {
  const code = await sharp(png).blur(0.8).toBuffer();
  const { width = 0, height = 0 } = await sharp(code).metadata();
  const frame = await sharp({ create: { width: 640, height: 480, channels: 4, background: { r: 120, g: 110, b: 100, alpha: 1 } } })
    .composite([{ input: code, left: Math.round((640 - width) / 2) + 17, top: Math.round((480 - height) / 2) - 11 }])
    .raw()
    .toBuffer();
  const decode = await createZxingDecoder();

  return decode(toLuminance(frame), 640, 480);
};

describe("wristband decoding without BarcodeDetector", () => {
  it("reads Code 128 (MRN^^^ISSUER as printed on wristbands)", async () => {
    const modules = code128Modules("M-100^^^GENHOSP");
    const png = await matrixPng((x) => modules[x] === 1, modules.length, 8, [2, 6]);
    expect(await decodeInFrame(png)).toBe("M-100^^^GENHOSP");
  });

  it("reads QR Code and Data Matrix", async () => {
    const qr = new QRCodeWriter().encode("QR4711^^^GENHOSP^MR", BarcodeFormat.QR_CODE, 0, 0, new Map());
    expect(await decodeInFrame(await matrixPng((x, y) => qr.get(x, y), qr.getWidth(), qr.getHeight(), [6, 6]))).toBe("QR4711^^^GENHOSP^MR");
    const dm = new DataMatrixWriter().encode("V-2026-0042", BarcodeFormat.DATA_MATRIX, 0, 0);
    expect(await decodeInFrame(await matrixPng((x, y) => dm.get(x, y), dm.getWidth(), dm.getHeight(), [8, 8]))).toBe("V-2026-0042");
  });

  it("answers null for a frame without a code", async () => {
    const frame = await sharp({ create: { width: 320, height: 240, channels: 4, background: { r: 90, g: 90, b: 90, alpha: 1 } } }).raw().toBuffer();
    expect((await createZxingDecoder())(toLuminance(frame), 320, 240)).toBeNull();
  });
});
