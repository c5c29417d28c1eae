import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { TPhotoContext } from "@/lib/dicom/photo-context";
import {
  US_MULTIFRAME_IMAGE_STORAGE,
  VIDEO_ENDOSCOPIC_IMAGE_STORAGE,
  VIDEO_PHOTOGRAPHIC_IMAGE_STORAGE,
} from "@/lib/dicom/uids";
import { wrapVideo, type TWrapVideoResult } from "@/lib/dicom/wrap-video";
import { readWithPydicom, runDciodvfy, runDcmdump, runExiftool } from "@/tests/support/dicom-tools";
import {
  CORPUS,
  corpusFile,
  decodeErrors,
  FAKE_METADATA,
  ffprobeJson,
  firstFrameRgb,
  packetHash,
  videoPacketTimes,
} from "@/tests/support/video-corpus";
import { parseDcmdump, pixelItemsOf } from "./dicom-expectations";
import { makeContext } from "./photo-fixtures";

const dir = mkdtempSync(path.join(tmpdir(), "video-wrap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** A context as the capture flow gives it for a video: with the body site. */
export const videoContext = (modality: "XC" | "ES"): TPhotoContext => {
  const ctx = makeContext({ modality });
  ctx.instance.anatomicRegion =
    modality === "ES"
      ? { code: "110861005", scheme: "SCT", meaning: "Esophagus, stomach and duodenum" }
      : { code: "14975008", scheme: "SCT", meaning: "Forearm" };
  return ctx;
};

/** Every place the fake phone metadata could survive, as exiftool and raw bytes show it. */
const expectNoIdentifyingMetadata = (file: string): void => {
  const suspicious = /GPS|Location|Serial|ISO6709|\bMake\s*:|\bModel\s*:|Comment|(?<!Instance )Creation Date/i;
  const lines = runExiftool(file).split("\n").filter((l) => !l.startsWith("[System]")); // file name, dates
  expect(lines.filter((l) => suspicious.test(l)), file).toEqual([]);
  const bytes = readFileSync(file).toString("latin1");
  for (const value of Object.values(FAKE_METADATA)) {
    expect(bytes.includes(value), `${value} in ${path.basename(file)}`).toBe(false);
  }
  expect(bytes.includes("©xyz")).toBe(false);
};

const HEVC_MAIN = "1.2.840.10008.1.2.4.107";

/**
 * dciodvfy's "Error" lines. Debian's dicom3tools 1.00~20220618 does not know the HEVC transfer syntaxes and then
 * cannot even read the dataset ("Undefined value length … in non-encapsulated transfer syntax"); for those files the
 * IOD is validated on a copy whose Transfer Syntax UID says H.264 (.102, same length), after checking that the read
 * failure is the only complaint about the original.
 */
const dciodvfyErrors = (file: string): string[] => {
  const errors = (report: string): string[] => report.split("\n").filter((l) => l.startsWith("Error"));
  const bytes = readFileSync(file);
  const at = bytes.indexOf(Buffer.from(HEVC_MAIN));
  if (at < 0) {
    return errors(runDciodvfy(file));
  }
  expect(errors(runDciodvfy(file)).join("\n")).toMatch(/non-encapsulated transfer syntax|read failed/);
  const copy = `${file}.as-h264.dcm`;
  Buffer.from("1.2.840.10008.1.2.4.102").copy(bytes, at);
  writeFileSync(copy, bytes);
  return errors(runDciodvfy(copy));
};

const SOP_CLASS = { XC: VIDEO_PHOTOGRAPHIC_IMAGE_STORAGE, ES: VIDEO_ENDOSCOPIC_IMAGE_STORAGE } as const;

/**
 * Clips the wrapper remuxes itself in one pass (MP4, video and audio copied as they are); ffmpeg converts the rest
 * (WebM, QuickTime, a transcode, audio to re-encode).
 */
const REMUXED_BY_WRAPPER = new Set(["h264-aac-gps.mp4", "hevc.mp4", "1080p60.mp4", "vfr.mp4"]);

/** Top-level box types of an MP4, in file order. */
const topLevelBoxes = (mp4: Buffer): string[] => {
  const types: string[] = [];
  for (let at = 0; at + 8 <= mp4.length; ) {
    const size32 = mp4.readUInt32BE(at);
    const size = size32 === 1 ? Number(mp4.readBigUInt64BE(at + 8)) : size32 === 0 ? mp4.length - at : size32;
    types.push(mp4.toString("latin1", at + 4, at + 8));
    at += Math.max(size, 8);
  }
  return types;
};

describe.each(CORPUS)("wrapVideo: $name", (clip) => {
  let input: string;
  beforeAll(() => {
    input = corpusFile(dir, clip);
  });

  describe.each(["XC", "ES"] as const)("as %s", (modality) => {
    const base = path.join(dir, `${clip.file}.${modality}`);
    const outPath = `${base}.dcm`;
    const mp4Path = `${base}.extracted.mp4`;
    const context = videoContext(modality);
    let result: TWrapVideoResult;

    beforeAll(async () => {
      result = await wrapVideo({ inputPath: input, outPath, context });
      const fragment = pixelItemsOf(readFileSync(outPath)).items[1] as Buffer;
      writeFileSync(mp4Path, fragment);
      expect(await result.poster).toBe(true);
    });

    test("reports SOP class, transfer syntax, geometry, what was re-encoded; no work files left", () => {
      const file = readFileSync(outPath);
      expect(result).toMatchObject({
        sopClassUid: SOP_CLASS[modality],
        transferSyntaxUid: clip.transferSyntaxUid,
        size: file.length,
        sha256: sha256(file),
        rows: clip.rows,
        columns: clip.columns,
        reencoded: !clip.remux,
        audio: clip.audio,
        remuxedBy: REMUXED_BY_WRAPPER.has(clip.file) ? "wrapper" : "ffmpeg",
      });
      expect(result.frames).toBeGreaterThan(5);
      expect(result.durationMs).toBeGreaterThan(500);
      expect(result.durationMs).toBeLessThan(2100);
      for (const leftover of [`${outPath}.tmp`, `${outPath}.video.mp4`]) {
        expect(existsSync(leftover), leftover).toBe(false);
      }
    });

    test("dciodvfy -new reports no errors", () => {
      expect(dciodvfyErrors(outPath)).toEqual([]);
    });

    test("dcmdump: SOP class, transfer syntax, frames, geometry, cine, anatomy; one fragment after an empty BOT", () => {
      const dump = runDcmdump(outPath, ["-Un"]);
      const e = parseDcmdump(dump);
      expect(e.get("0002,0010")?.value).toBe(clip.transferSyntaxUid);
      expect(e.get("0008,0016")?.value).toBe(SOP_CLASS[modality]);
      expect(e.get("0008,0060")?.value).toBe(modality);
      expect(e.get("0028,0008")).toEqual({ vr: "IS", value: String(result.frames) });
      expect(e.get("0028,0009")).toEqual({ vr: "AT", value: "(0018,1063)" });
      expect(e.get("0028,0010")?.value).toBe(String(clip.rows));
      expect(e.get("0028,0011")?.value).toBe(String(clip.columns));
      expect(e.get("0028,0004")?.value).toBe("YBR_PARTIAL_420");
      expect(Number(e.get("0018,1063")?.value)).toBeCloseTo(result.durationMs / result.frames, 3);
      expect(e.has("0028,0034")).toBe(false); // no Pixel Aspect Ratio (§8.2.7: square pixels)
      expect(e.has("003a,0300")).toBe(clip.audio !== "none");
      expect(dump).toMatch(/\(0008,2218\) SQ[\s\S]*\(0008,0100\) SH \[(14975008|110861005)\]/);
      expect(dump).toMatch(/\(7fe0,0010\) OB \(PixelSequence #=2\)/);
    });

    test("pydicom reads SOP class, transfer syntax, frames, rows/columns and the two Pixel Data items", () => {
      const py = readWithPydicom(outPath);
      expect(py.meta.TransferSyntaxUID).toBe(clip.transferSyntaxUid);
      expect(py.dataset.SOPClassUID).toBe(SOP_CLASS[modality]);
      expect(py.dataset.NumberOfFrames).toBe(String(result.frames));
      expect([py.dataset.Rows, py.dataset.Columns]).toEqual([String(clip.rows), String(clip.columns)]);
      const mp4 = readFileSync(mp4Path);
      expect(py.pixelItems).toHaveLength(2);
      expect(py.pixelItems[0]?.length).toBe(0);
      expect(py.pixelItems[1]?.length).toBe(mp4.length);
      expect(mp4.length % 2).toBe(0);
    });

    test("the fragment is a fast-start MP4: ftyp, moov, then only mdat (padded to even length)", () => {
      const mp4 = readFileSync(mp4Path);
      const boxes = topLevelBoxes(mp4); // an odd MP4's pad byte is shorter than a box header
      expect(boxes.slice(0, 2)).toEqual(["ftyp", "moov"]);
      expect(new Set(boxes.slice(2))).toEqual(new Set(["mdat"]));
    });

    test("the fragment is an MP4 that decodes cleanly, upright, with the announced frames", () => {
      const probe = ffprobeJson(mp4Path);
      expect(probe.format.format_name).toMatch(/mp4/);
      const video = probe.streams.filter((s) => s.codec_type === "video");
      expect(video).toHaveLength(1);
      const v = video[0]!;
      expect([v.width, v.height]).toEqual([clip.columns, clip.rows]);
      expect(v.side_data_list?.some((d) => d.side_data_type === "Display Matrix") ?? false).toBe(false);
      expect(Number(v.nb_frames)).toBe(result.frames);
      expect(v.codec_name).toBe(clip.transferSyntaxUid.endsWith(".107") ? "hevc" : "h264");
      expect(v.codec_tag_string).toBe(v.codec_name === "hevc" ? "hvc1" : "avc1");
      expect(decodeErrors(mp4Path)).toBe("");
      if (clip.markerTopLeft) {
        expect(clip.columns).toBeLessThan(clip.rows);
        const rgb = firstFrameRgb(mp4Path);
        const at = (x: number, y: number): number[] => [...rgb.subarray((y * clip.columns + x) * 3, (y * clip.columns + x) * 3 + 3)];
        const isRed = ([r, g, b]: number[]): boolean => (r ?? 0) > 150 && (g ?? 255) < 90 && (b ?? 255) < 90;
        expect(isRed(at(60, 60)), "marker top-left").toBe(true);
        expect(isRed(at(clip.columns - 60, 60)), "top-right").toBe(false);
        expect(isRed(at(60, clip.rows - 60)), "bottom-left").toBe(false);
        expect(isRed(at(clip.columns - 60, clip.rows - 60)), "bottom-right").toBe(false);
      }
    });

    test(clip.remux ? "video stream copied: packets byte-identical to the source" : "video transcoded to H.264 High", () => {
      const v = ffprobeJson(mp4Path).streams.find((s) => s.codec_type === "video")!;
      if (clip.remux) {
        expect(packetHash(mp4Path, "v")).toBe(packetHash(input, "v"));
        // Timing too: variable frame rate stays variable, frame by frame (to the millisecond of WebM's time base),
        // relative to the first frame (the muxer may shift the whole track by a few ms for audio priming).
        const relative = (times: number[]): number[] => times.map((t) => t - (times[0] ?? 0));
        const [source, copied] = [relative(videoPacketTimes(input)), relative(videoPacketTimes(mp4Path))];
        expect(copied).toHaveLength(source.length);
        copied.forEach((t, i) => expect(Math.abs(t - (source[i] ?? NaN)), `packet ${i}`).toBeLessThan(0.0015));
      } else {
        expect(v.codec_name).toBe("h264");
        expect(v.profile).toBe("High");
        expect(v.level).toBeLessThanOrEqual(clip.transferSyntaxUid.endsWith(".104") ? 42 : 41);
        expect(packetHash(mp4Path, "v")).not.toBe(packetHash(input, "v"));
      }
    });

    test(`audio: ${clip.audio}`, () => {
      const audio = ffprobeJson(mp4Path).streams.filter((s) => s.codec_type === "audio");
      if (clip.audio === "none") {
        expect(audio).toEqual([]);
        return;
      }
      expect(audio).toHaveLength(1);
      expect(audio[0]).toMatchObject({ codec_name: "aac", profile: "LC", sample_rate: "48000", channels: 2 });
      const same = packetHash(mp4Path, "a") === packetHash(input, "a");
      expect(same).toBe(clip.audio === "copied");
    });

    test("no GPS/location, make/model, serial or comment in the .dcm, the extracted MP4 or the poster", () => {
      if (clip.hasFakeMetadata) {
        // The fixture really carries them, so the checks below can fail.
        expect(runExiftool(input)).toMatch(/GPS|Location/);
      }
      expectNoIdentifyingMetadata(outPath);
      expectNoIdentifyingMetadata(mp4Path);
      expectNoIdentifyingMetadata(result.posterJpeg);
      expect(ffprobeJson(mp4Path).format.tags ?? {}).not.toHaveProperty("creation_time");
    });

    test("poster frame: a 320 px wide upright JPEG without EXIF", () => {
      const poster = readFileSync(result.posterJpeg);
      expect(poster.subarray(0, 2).toString("hex")).toBe("ffd8");
      const p = ffprobeJson(result.posterJpeg).streams[0]!;
      expect(p.width).toBe(320);
      expect(p.height).toBe(2 * Math.round((320 * clip.rows) / clip.columns / 2));
      expect(poster.includes(Buffer.from("Exif"))).toBe(false);
    });
  });
});

describe("wrapVideo: US Multi-frame Image", () => {
  const clip = CORPUS.find((c) => c.file === "h264-aac-gps.mp4")!;
  const outPath = path.join(dir, "us-multiframe.dcm");
  let result: TWrapVideoResult;
  beforeAll(async () => {
    const context = videoContext("XC");
    result = await wrapVideo({ inputPath: corpusFile(dir, clip), outPath, context, iod: "us-multiframe" });
    await result.poster;
  });

  test("US Multi-frame SOP class, Modality US, Laterality instead of Image Laterality, no Acquisition Context", () => {
    expect(result.sopClassUid).toBe(US_MULTIFRAME_IMAGE_STORAGE);
    const e = parseDcmdump(runDcmdump(outPath, ["-Un"]));
    expect(e.get("0008,0016")?.value).toBe(US_MULTIFRAME_IMAGE_STORAGE);
    expect(e.get("0008,0060")?.value).toBe("US");
    expect(e.get("0020,0060")?.value).toBe("L");
    expect(e.has("0020,0062")).toBe(false);
    expect(e.has("0040,0555")).toBe(false);
    expect(e.get("0028,0008")?.value).toBe(String(result.frames));
  });

  test("dciodvfy -new reports no errors", () => {
    expect(dciodvfyErrors(outPath)).toEqual([]);
  });
});
