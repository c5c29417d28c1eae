/**
 * The sRGB ICC profile that sharp/libvips ship (a compact ICC v2 profile), loaded once. Written to ICC Profile
 * (0028,2000) when a colour photo carries no profile of its own: EXIF and the web assume sRGB for untagged images,
 * and the ICC Profile module (PS3.3 C.11.15) lets us state that assumption instead of leaving it to each viewer.
 */
import sharp from "sharp";

let cached: Promise<Buffer> | undefined;

/** @returns the bytes of the sRGB profile */
export const loadSrgbProfile = (): Promise<Buffer> => {
  cached ??= sharp({ create: { width: 1, height: 1, channels: 3, background: "#ffffff" } })
    .withIccProfile("srgb")
    .png()
    .toBuffer()
    .then(async (png) => {
      const { icc } = await sharp(png).metadata();
      if (icc === undefined) {
        throw new Error("sharp did not embed its sRGB profile");
      }
      return icc;
    });
  return cached;
};
