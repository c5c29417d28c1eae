/**
 * HEIC/HEIF (the iPhone default, HEVC-coded) → one baseline JPEG, quality 95, with Debian's `heif-convert`
 * (package libheif-examples: libheif 1.15 + libde265). The prebuilt libvips inside sharp cannot decode HEVC, and
 * DICOM has no HEIF transfer syntax (dicom-and-ihe.md §8), so the photo is decoded and encoded exactly once here.
 *
 * libheif applies the HEIF transformative properties (`irot`, `imir`, `clap`; ISO/IEC 23008-12 §6.5), so the JPEG
 * is upright. The EXIF block heif-convert copies into the JPEG still carries the camera's Orientation tag, which
 * HEIF readers must not apply a second time (MIAF §7.3.6.7): callers ignore it. heif-convert also copies the ICC
 * profile (APP2) when the HEIF has one; GPS/serials in its APP1 are removed by the caller like any EXIF. Untrusted
 * bytes reach libde265 in a child process, so a decoder crash or hang cannot take the server down (timeout below).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { PhotoInputError } from "@/lib/dicom/photo-errors";

const run = promisify(execFile);

/** The Debian package that provides {@link HEIF_CONVERT}. */
export const HEIF_CONVERT_PACKAGE = "libheif-examples";
/** The libheif command-line decoder (`heif-convert input.heic output.jpg`). */
export const HEIF_CONVERT = "heif-convert";
/** JPEG quality of the one encode, as for every other re-encoded photo. */
const QUALITY = 95;
/** 12 MP decodes in ~2 s here (50 MP ≈ 9 s, extrapolated); far longer means hostile or broken: the child is killed. */
const TIMEOUT_MS = 60_000;

/**
 * @param input - the HEIC/HEIF file (its pixel count must already have been checked against the limit)
 * @returns a baseline JPEG of the primary image, transformations applied, EXIF and ICC copied
 * @throws PhotoInputError `corrupt` when libheif cannot decode the file; Error when heif-convert is not installed
 */
export const decodeHeic = async (input: Buffer): Promise<Buffer> => {
  const dir = await mkdtemp(path.join(tmpdir(), "heic-"));
  try {
    const inPath = path.join(dir, "in.heic");
    const outPath = path.join(dir, "out.jpg");
    await writeFile(inPath, input);
    try {
      const args = ["--quiet", "-q", String(QUALITY), inPath, outPath];
      await run(HEIF_CONVERT, args, { maxBuffer: 1024 * 1024, timeout: TIMEOUT_MS, killSignal: "SIGKILL" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new Error(`${HEIF_CONVERT} is not installed: apt-get install -y ${HEIF_CONVERT_PACKAGE}`);
      }
      if ((err as { killed?: boolean }).killed) {
        throw new PhotoInputError("corrupt", `HEIC/HEIF photo took longer than ${TIMEOUT_MS / 1000} s to decode`, {
          cause: err,
        });
      }
      const detail = ((err as { stderr?: string }).stderr ?? "").trim().split("\n")[0] ?? "";
      throw new PhotoInputError("corrupt", `HEIC/HEIF photo cannot be decoded (truncated or damaged): ${detail}`, {
        cause: err,
      });
    }
    // With several top-level images heif-convert numbers its outputs (out-1.jpg …); the first is the primary.
    const produced = (await readdir(dir)).filter((f) => f.endsWith(".jpg")).sort();
    const first = produced.includes("out.jpg") ? "out.jpg" : produced[0];
    if (first === undefined) {
      throw new PhotoInputError("corrupt", "HEIC/HEIF photo contains no decodable image");
    }
    return await readFile(path.join(dir, first));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
