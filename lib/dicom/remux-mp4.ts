/**
 * Remuxes an MP4 whose streams already conform without copying it through ffmpeg: plans the fast-start,
 * metadata-free MP4 that the DICOM writer then streams into the Pixel Data fragment in one pass (the media data
 * is read from the source file once, never held in memory; only `moov` is).
 *
 * The output is `ftyp` (the source's), a rebuilt `moov`, then every `mdat` of the source, byte for byte, so the
 * video and audio samples are identical to the upload. In the rebuilt `moov` (ISO/IEC 14496-12 §8):
 * - `udta`, `meta`, `uuid`, `free`/`skip`/`wide` boxes are left out at every level (QuickTime `©xyz` and
 *   `com.apple.quicktime.location.ISO6709` locations, make, model, serial number, comments, encoder, XMP);
 * - creation and modification times in `mvhd`, `tkhd` and `mdhd` are zeroed (ffmpeg's `+bitexact` does the same);
 * - the `hdlr` names become `VideoHandler` / `SoundHandler` (ffmpeg's; a device may write anything there);
 * - chunk offsets (`stco`/`co64`) are moved by how far their `mdat` moved (fast start: `moov` now comes first).
 * Top-level boxes other than `ftyp`, `moov` and `mdat` are not copied.
 *
 * Anything this plan does not fully understand is **refused** (the caller then remuxes with ffmpeg as before):
 * QuickTime (`qt  ` brand) and 3GP files, fragmented MP4, a track other than exactly the expected video (+ audio)
 * track, a sample entry other than `avc1`/`hvc1`/`mp4a`, several sample entries, external data references, sample
 * encryption, track references, unknown boxes inside `moov`, and — so that nothing unreferenced (e.g. the samples of a
 * GPS or timed-metadata track) can travel inside `mdat` — any `mdat` byte that is not part of a sample of the kept
 * tracks. A box that runs past the end of the file, or a sample outside it, is damage: `VideoInputError` `corrupt`.
 */
import { open, type FileHandle } from "node:fs/promises";
import { VideoInputError } from "@/lib/dicom/video-errors";
import type { TFileRange } from "@/lib/dicom/write-encapsulated";

/** The planned MP4: parts to write in order (small buffers and ranges of the source file) and its total length. */
export type TMp4Remux = {
  parts: (Buffer | TFileRange)[];
  length: number;
  /** Samples of the video track (`stsz`), i.e. frames. */
  videoSamples: number;
};

/** Why an MP4 cannot be remuxed here (internal structure names only, never file names or metadata values). */
export type TMp4Refusal = { refused: string };

/** What the kept tracks must be. */
export type TMp4Expectation = {
  /** Sample entry of the one video track: `avc1` (H.264, parameter sets in `avcC`) or `hvc1` (HEVC). */
  videoEntry: "avc1" | "hvc1";
  /** Whether exactly one `mp4a` audio track must be there (true) or none (false). */
  audio: boolean;
};

/**
 * `moov` is read into memory; a 20-minute 60 fps video with audio needs ~1–2 MB, so this is far beyond any real index
 * and keeps the wrap well under its 64 MB memory budget (a larger index is left to ffmpeg).
 */
const MAX_MOOV_BYTES = 16 * 1024 * 1024;
const MAX_TOP_LEVEL_BOXES = 10_000;
/** Major brands of ISO base media / MP4 files (not QuickTime `qt  `, not 3GPP). */
const MP4_BRANDS = new Set(["isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9", "mp41", "mp42", "avc1", "mmp4", "M4V "]);
const FRAGMENTED = new Set(["moof", "mfra", "sidx", "ssix", "styp", "emsg", "prft"]);
/** Boxes never copied: metadata, padding and vendor extensions. */
const DROPPED = new Set(["udta", "meta", "uuid", "free", "skip", "wide"]);
const HANDLER_NAMES: Record<string, string> = { vide: "VideoHandler", soun: "SoundHandler" };

/** Thrown inside the plan; becomes `{ refused }`. */
class Refusal extends Error {}
const damaged = (): VideoInputError =>
  new VideoInputError("corrupt", "the video file is damaged or truncated and cannot be read");

type TBox = { type: string; start: number; headerLength: number; end: number };

/** Box header at `at` of a buffer (`limit` = end of the enclosing box); size 0 means "to the end of the parent". */
const boxAt = (buf: Buffer, at: number, limit: number): TBox => {
  if (at + 8 > limit) {
    throw new Refusal("a box header runs past its parent");
  }
  const size32 = buf.readUInt32BE(at);
  const type = buf.toString("latin1", at + 4, at + 8);
  let headerLength = 8;
  let size = size32;
  if (size32 === 1) {
    if (at + 16 > limit) {
      throw new Refusal("a box header runs past its parent");
    }
    size = Number(buf.readBigUInt64BE(at + 8));
    headerLength = 16;
  } else if (size32 === 0) {
    size = limit - at;
  }
  if (size < headerLength || at + size > limit) {
    throw new Refusal(`box ${JSON.stringify(type)} runs past its parent`);
  }
  return { type, start: at, headerLength, end: at + size };
};

/** Child boxes of the payload [from, to) of a buffer. */
const childrenOf = (buf: Buffer, from: number, to: number): TBox[] => {
  const boxes: TBox[] = [];
  for (let at = from; at < to; ) {
    const box = boxAt(buf, at, to);
    boxes.push(box);
    at = box.end;
  }
  return boxes;
};

/**
 * Top-level boxes of the file, from 16-byte positional header reads. A `moov` or `mdat` that runs past the end of
 * the file is damage (e.g. media data cut off after a fast-start index); any other inconsistency is left to ffmpeg.
 */
const readTopLevel = async (fh: FileHandle, fileSize: number): Promise<TBox[]> => {
  const boxes: TBox[] = [];
  const head = Buffer.alloc(16);
  for (let at = 0; at < fileSize; ) {
    if (boxes.length >= MAX_TOP_LEVEL_BOXES) {
      throw new Refusal("too many top-level boxes");
    }
    const { bytesRead } = await fh.read(head, 0, 16, at);
    const size32 = bytesRead >= 8 ? head.readUInt32BE(0) : 0;
    const type = bytesRead >= 8 ? head.toString("latin1", 4, 8) : "";
    const headerLength = size32 === 1 ? 16 : 8;
    const size = size32 === 1 && bytesRead >= 16 ? Number(head.readBigUInt64BE(8)) : size32 === 0 ? fileSize - at : size32;
    if (bytesRead < headerLength || size < headerLength || at + size > fileSize) {
      if (type === "moov" || type === "mdat") {
        throw damaged();
      }
      throw new Refusal("a top-level box runs past the end of the file");
    }
    boxes.push({ type, start: at, headerLength, end: at + size });
    at += size;
  }
  return boxes;
};

/** Zeroes creation_time and modification_time of an `mvhd`/`tkhd`/`mdhd` (version 0: 32-bit, 1: 64-bit). */
const zeroTimes = (buf: Buffer, box: TBox): void => {
  const p = box.start + box.headerLength;
  const width = buf[p] === 1 ? 8 : 4;
  if (p + 4 + 2 * width > box.end) {
    throw new Refusal(`${box.type} too short`);
  }
  buf.fill(0, p + 4, p + 4 + 2 * width);
};

/** A new `hdlr` (version 0) with the same handler type and ffmpeg's name for it. */
const handlerBox = (handlerType: string): Buffer => {
  const name = Buffer.from(`${HANDLER_NAMES[handlerType]}\0`, "latin1");
  const b = Buffer.alloc(32 + name.length);
  b.writeUInt32BE(b.length, 0);
  b.write("hdlr", 4, "latin1");
  b.write(handlerType, 16, "latin1");
  name.copy(b, 32);
  return b;
};

const boxHeader = (type: string, payloadLength: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(8 + payloadLength, 0);
  b.write(type, 4, "latin1");
  return b;
};

/** Sample tables of one track, as needed to find every chunk's bytes. */
type TTrack = {
  handler: string;
  entry: string;
  sampleSizes: { constant: number; count: number; sizes: number[] | null };
  stsc: { firstChunk: number; samplesPerChunk: number; descriptionIndex: number }[];
  /** The chunk offset box as it sits in the (output) moov buffer; patched in place. */
  chunkOffsets: { buf: Buffer; at: number; count: number; wide: boolean };
};

const readStsz = (buf: Buffer, box: TBox): TTrack["sampleSizes"] => {
  const p = box.start + box.headerLength;
  if (box.type === "stsz") {
    const constant = buf.readUInt32BE(p + 4);
    const count = buf.readUInt32BE(p + 8);
    if (constant !== 0) {
      return { constant, count, sizes: null };
    }
    if (p + 12 + 4 * count > box.end) {
      throw new Refusal("stsz too short");
    }
    const sizes = new Array<number>(count);
    for (let i = 0; i < count; i += 1) {
      sizes[i] = buf.readUInt32BE(p + 12 + 4 * i);
    }
    return { constant: 0, count, sizes };
  }
  // stz2: 24-bit reserved, 8-bit field size (4, 8 or 16), sample count, packed sizes.
  const field = buf[p + 7] ?? 0;
  const count = buf.readUInt32BE(p + 8);
  if (![4, 8, 16].includes(field) || p + 12 + Math.ceil((field * count) / 8) > box.end) {
    throw new Refusal("stz2 malformed");
  }
  const sizes = new Array<number>(count);
  for (let i = 0; i < count; i += 1) {
    if (field === 16) {
      sizes[i] = buf.readUInt16BE(p + 12 + 2 * i);
    } else if (field === 8) {
      sizes[i] = buf[p + 12 + i] ?? 0;
    } else {
      const byte = buf[p + 12 + (i >> 1)] ?? 0;
      sizes[i] = i % 2 === 0 ? byte >> 4 : byte & 15;
    }
  }
  return { constant: 0, count, sizes };
};

const readStsc = (buf: Buffer, box: TBox): TTrack["stsc"] => {
  const p = box.start + box.headerLength;
  const count = buf.readUInt32BE(p + 4);
  if (p + 8 + 12 * count > box.end) {
    throw new Refusal("stsc too short");
  }
  const entries: TTrack["stsc"] = [];
  for (let i = 0; i < count; i += 1) {
    const at = p + 8 + 12 * i;
    entries.push({
      firstChunk: buf.readUInt32BE(at),
      samplesPerChunk: buf.readUInt32BE(at + 4),
      descriptionIndex: buf.readUInt32BE(at + 8),
    });
  }
  return entries;
};

/** The one sample entry type of an `stsd`, checked. */
const readStsd = (buf: Buffer, box: TBox): string => {
  const p = box.start + box.headerLength;
  if (p + 16 > box.end || buf.readUInt32BE(p + 4) !== 1) {
    throw new Refusal("stsd must have exactly one sample entry");
  }
  const entry = boxAt(buf, p + 8, box.end);
  if (entry.end !== box.end) {
    throw new Refusal("stsd has trailing data");
  }
  return entry.type;
};

/** Every data reference must be "in this file" (`url ` with the self-contained flag). */
const checkDinf = (buf: Buffer, dinf: TBox): void => {
  const dref = childrenOf(buf, dinf.start + dinf.headerLength, dinf.end);
  if (dref.length !== 1 || dref[0]?.type !== "dref") {
    throw new Refusal("dinf must hold one dref");
  }
  const d = dref[0] as TBox;
  const p = d.start + d.headerLength;
  const entries = childrenOf(buf, p + 8, d.end);
  if (entries.length !== buf.readUInt32BE(p + 4) || entries.length === 0) {
    throw new Refusal("dref entry count");
  }
  for (const e of entries) {
    const flags = buf.readUInt32BE(e.start + e.headerLength) & 0xffffff;
    if (e.type !== "url " || (flags & 1) !== 1) {
      throw new Refusal("external data reference");
    }
  }
};

/** Output pieces of a rebuilt container: header + kept children (slices of the moov buffer or new buffers). */
type TPieces = { pieces: Buffer[]; length: number };

const container = (type: string, children: TPieces[]): TPieces => {
  const length = children.reduce((n, c) => n + c.length, 0);
  return { pieces: [boxHeader(type, length), ...children.flatMap((c) => c.pieces)], length: 8 + length };
};
const verbatim = (buf: Buffer, box: TBox): TPieces => ({
  pieces: [buf.subarray(box.start, box.end)],
  length: box.end - box.start,
});

/** Walks and rebuilds one `trak`; collects its sample tables. */
const rebuildTrak = (buf: Buffer, trak: TBox, tracks: TTrack[]): TPieces => {
  const partial: Partial<TTrack> = {};
  const kept: TPieces[] = [];
  for (const box of childrenOf(buf, trak.start + trak.headerLength, trak.end)) {
    if (box.type === "tkhd") {
      zeroTimes(buf, box);
      kept.push(verbatim(buf, box));
    } else if (box.type === "edts") {
      kept.push(verbatim(buf, box));
    } else if (box.type === "mdia") {
      kept.push(rebuildMdia(buf, box, partial));
    } else if (!DROPPED.has(box.type)) {
      throw new Refusal(`trak/${box.type}`);
    }
  }
  const { handler, entry, sampleSizes, stsc, chunkOffsets } = partial;
  if (!handler || !entry || !sampleSizes || !stsc || !chunkOffsets) {
    throw new Refusal("trak without hdlr, stsd, stsz, stsc or chunk offsets");
  }
  tracks.push(partial as TTrack);
  return container("trak", kept);
};

const rebuildMdia = (buf: Buffer, mdia: TBox, track: Partial<TTrack>): TPieces => {
  const kept: TPieces[] = [];
  const boxes = childrenOf(buf, mdia.start + mdia.headerLength, mdia.end);
  const hdlr = boxes.find((b) => b.type === "hdlr");
  track.handler = hdlr ? buf.toString("latin1", hdlr.start + hdlr.headerLength + 8, hdlr.start + hdlr.headerLength + 12) : "";
  if (!(track.handler in HANDLER_NAMES)) {
    throw new Refusal(`a track that is neither video nor sound`);
  }
  for (const box of boxes) {
    if (box.type === "mdhd") {
      zeroTimes(buf, box);
      kept.push(verbatim(buf, box));
    } else if (box.type === "hdlr") {
      const b = handlerBox(track.handler);
      kept.push({ pieces: [b], length: b.length });
    } else if (box.type === "elng") {
      kept.push(verbatim(buf, box));
    } else if (box.type === "minf") {
      kept.push(rebuildMinf(buf, box, track));
    } else if (!DROPPED.has(box.type)) {
      throw new Refusal(`mdia/${box.type}`);
    }
  }
  return container("mdia", kept);
};

const rebuildMinf = (buf: Buffer, minf: TBox, track: Partial<TTrack>): TPieces => {
  const kept: TPieces[] = [];
  for (const box of childrenOf(buf, minf.start + minf.headerLength, minf.end)) {
    if (box.type === "vmhd" || box.type === "smhd") {
      kept.push(verbatim(buf, box));
    } else if (box.type === "dinf") {
      checkDinf(buf, box);
      kept.push(verbatim(buf, box));
    } else if (box.type === "stbl") {
      kept.push(rebuildStbl(buf, box, track));
    } else if (box.type !== "hdlr" && !DROPPED.has(box.type)) {
      // A data-handler hdlr inside minf is QuickTime's, not ISO's: left out.
      throw new Refusal(`minf/${box.type}`);
    }
  }
  return container("minf", kept);
};

/** Sample table boxes copied as they are (no file offsets inside). */
const STBL_VERBATIM = new Set(["stts", "ctts", "cslg", "stss", "stps", "sdtp", "sgpd", "sbgp", "stsh", "padb", "subs"]);

const rebuildStbl = (buf: Buffer, stbl: TBox, track: Partial<TTrack>): TPieces => {
  const kept: TPieces[] = [];
  for (const box of childrenOf(buf, stbl.start + stbl.headerLength, stbl.end)) {
    const p = box.start + box.headerLength;
    if (box.type === "stsd") {
      track.entry = readStsd(buf, box);
    } else if (box.type === "stsz" || box.type === "stz2") {
      track.sampleSizes = readStsz(buf, box);
    } else if (box.type === "stsc") {
      track.stsc = readStsc(buf, box);
    } else if (box.type === "stco" || box.type === "co64") {
      const count = buf.readUInt32BE(p + 4);
      const wide = box.type === "co64";
      if (p + 8 + count * (wide ? 8 : 4) > box.end) {
        throw new Refusal(`${box.type} too short`);
      }
      track.chunkOffsets = { buf, at: p + 8, count, wide };
    } else if (DROPPED.has(box.type)) {
      continue;
    } else if (!STBL_VERBATIM.has(box.type)) {
      throw new Refusal(`stbl/${box.type}`); // e.g. saiz/saio/senc (encryption: offsets we would have to move)
    }
    kept.push(verbatim(buf, box));
  }
  return container("stbl", kept);
};

const chunkOffsetAt = (c: TTrack["chunkOffsets"], i: number): number =>
  c.wide ? Number(c.buf.readBigUInt64BE(c.at + 8 * i)) : c.buf.readUInt32BE(c.at + 4 * i);

/** [start, end) of every non-empty chunk of a track, in the source file. */
const chunkRanges = (t: TTrack): [number, number][] => {
  const { stsc, sampleSizes, chunkOffsets } = t;
  const first = stsc[0];
  if (!first || first.firstChunk !== 1) {
    throw new Refusal("stsc must start at chunk 1");
  }
  const ranges: [number, number][] = [];
  let sample = 0;
  for (let e = 0; e < stsc.length; e += 1) {
    const entry = stsc[e] as TTrack["stsc"][number];
    const nextFirst = e + 1 < stsc.length ? (stsc[e + 1] as TTrack["stsc"][number]).firstChunk : chunkOffsets.count + 1;
    if (entry.descriptionIndex !== 1 || nextFirst <= entry.firstChunk || nextFirst > chunkOffsets.count + 1) {
      throw new Refusal("stsc malformed");
    }
    if (entry.samplesPerChunk === 0) {
      throw new Refusal("stsc: a chunk without samples");
    }
    for (let chunk = entry.firstChunk; chunk < nextFirst; chunk += 1) {
      const start = chunkOffsetAt(chunkOffsets, chunk - 1);
      let length = 0;
      for (let k = 0; k < entry.samplesPerChunk; k += 1, sample += 1) {
        if (sample >= sampleSizes.count) {
          throw new Refusal("stsc names more samples than stsz has");
        }
        length += sampleSizes.sizes ? (sampleSizes.sizes[sample] as number) : sampleSizes.constant;
      }
      if (length > 0) {
        ranges.push([start, start + length]);
      }
    }
  }
  if (sample !== sampleSizes.count || stsc.length === 0) {
    throw new Refusal("stsz has samples in no chunk");
  }
  return ranges;
};

/**
 * Plans the remux of an MP4 for the Pixel Data fragment.
 * @param inputPath - the MP4 (an upload or ffmpeg's output)
 * @param expected - the sample entry of the video track and whether an audio track must be there
 * @returns the parts to stream and their length, or `{ refused }` with the structural reason (the caller falls back
 *   to ffmpeg)
 * @throws VideoInputError `corrupt` when a box or sample lies beyond the end of the file
 */
export const remuxMp4 = async (inputPath: string, expected: TMp4Expectation): Promise<TMp4Remux | TMp4Refusal> => {
  const fh = await open(inputPath, "r");
  try {
    const { size: fileSize } = await fh.stat();
    const top = await readTopLevel(fh, fileSize);
    const ftyp = top[0];
    if (!ftyp || ftyp.type !== "ftyp" || ftyp.end - ftyp.start > 4096) {
      throw new Refusal("no ftyp first");
    }
    const ftypBytes = Buffer.alloc(ftyp.end - ftyp.start);
    await fh.read(ftypBytes, 0, ftypBytes.length, ftyp.start);
    const brand = ftypBytes.toString("latin1", ftyp.headerLength, ftyp.headerLength + 4);
    if (!MP4_BRANDS.has(brand)) {
      throw new Refusal(`major brand ${JSON.stringify(brand)}`);
    }
    const moovs = top.filter((b) => b.type === "moov");
    const mdats = top.filter((b) => b.type === "mdat");
    const fragmented = top.find((b) => FRAGMENTED.has(b.type));
    if (fragmented || moovs.length !== 1 || mdats.length === 0 || top.filter((b) => b.type === "ftyp").length !== 1) {
      throw new Refusal(fragmented ? "fragmented MP4" : "not exactly one moov, or no mdat");
    }
    const [moovBox] = moovs as [TBox];
    if (moovBox.end - moovBox.start > MAX_MOOV_BYTES) {
      throw new Refusal("moov too large");
    }
    const buf = Buffer.alloc(moovBox.end - moovBox.start);
    await fh.read(buf, 0, buf.length, moovBox.start);
    const moov: TBox = { ...moovBox, start: 0, end: buf.length };

    const tracks: TTrack[] = [];
    const kept: TPieces[] = [];
    for (const box of childrenOf(buf, moov.headerLength, moov.end)) {
      if (box.type === "mvhd") {
        zeroTimes(buf, box);
        kept.push(verbatim(buf, box));
      } else if (box.type === "iods") {
        kept.push(verbatim(buf, box));
      } else if (box.type === "trak") {
        kept.push(rebuildTrak(buf, box, tracks));
      } else if (!DROPPED.has(box.type)) {
        throw new Refusal(`moov/${box.type}`); // mvex (fragments), pssh (DRM), QuickTime extensions, …
      }
    }
    const video = tracks.filter((t) => t.handler === "vide");
    const audio = tracks.filter((t) => t.handler === "soun");
    if (video.length !== 1 || audio.length !== (expected.audio ? 1 : 0) || tracks.length !== video.length + audio.length) {
      throw new Refusal("tracks other than one video (+ the expected audio) track");
    }
    if (video[0]?.entry !== expected.videoEntry || (audio[0] && audio[0].entry !== "mp4a")) {
      throw new Refusal(`sample entry ${JSON.stringify(video[0]?.entry)}`);
    }

    // Every mdat byte must belong to a sample of a kept track, and every sample must lie in an mdat.
    const payloads = mdats.map((m) => ({ start: m.start + m.headerLength, end: m.end }));
    const ranges = tracks.flatMap(chunkRanges).sort((a, b) => a[0] - b[0]);
    if (ranges.some(([, end]) => end > fileSize)) {
      throw damaged();
    }
    let r = 0;
    for (const p of payloads) {
      let at = p.start;
      while (r < ranges.length && (ranges[r] as [number, number])[0] < p.end) {
        const [start, end] = ranges[r] as [number, number];
        if (start !== at || end > p.end) {
          throw new Refusal("mdat holds bytes outside the kept samples");
        }
        at = end;
        r += 1;
      }
      if (at !== p.end) {
        throw new Refusal("mdat holds bytes outside the kept samples");
      }
    }
    if (r !== ranges.length) {
      throw new Refusal("samples outside mdat");
    }

    // Layout: ftyp, moov, then each mdat with a fresh header; chunk offsets move with their mdat.
    const newMoov = container("moov", kept);
    let position = ftypBytes.length + newMoov.length;
    const shifts = payloads.map((p) => {
      const headerLength = p.end - p.start + 8 > 0xffffffff ? 16 : 8;
      const newStart = position + headerLength;
      position = newStart + (p.end - p.start);
      return { ...p, headerLength, delta: newStart - p.start };
    });
    for (const t of tracks) {
      const c = t.chunkOffsets;
      for (let i = 0; i < c.count; i += 1) {
        const offset = chunkOffsetAt(c, i);
        const shift = shifts.find((s) => offset >= s.start && offset <= s.end);
        if (!shift) {
          throw new Refusal("a chunk offset outside mdat");
        }
        const moved = offset + (shift as (typeof shifts)[number]).delta;
        if (c.wide) {
          c.buf.writeBigUInt64BE(BigInt(moved), c.at + 8 * i);
        } else if (moved > 0xffffffff) {
          throw new Refusal("stco offset beyond 4 GiB");
        } else {
          c.buf.writeUInt32BE(moved, c.at + 4 * i);
        }
      }
    }
    const parts: (Buffer | TFileRange)[] = [Buffer.concat([ftypBytes, ...newMoov.pieces])];
    for (const s of shifts) {
      const payloadLength = s.end - s.start;
      const header = Buffer.alloc(s.headerLength);
      if (s.headerLength === 16) {
        header.writeUInt32BE(1, 0);
        header.writeBigUInt64BE(BigInt(payloadLength + 16), 8);
      } else {
        header.writeUInt32BE(payloadLength + 8, 0);
      }
      header.write("mdat", 4, "latin1");
      parts.push(header);
      if (payloadLength > 0) {
        parts.push({ path: inputPath, start: s.start, length: payloadLength });
      }
    }
    return { parts, length: position, videoSamples: (video[0] as TTrack).sampleSizes.count };
  } catch (err) {
    if (err instanceof Refusal) {
      return { refused: err.message };
    }
    if (err instanceof RangeError) {
      return { refused: "a box is shorter than its fields" };
    }
    throw err;
  } finally {
    await fh.close();
  }
};
