/**
 * `npm run bench:wrap` — DICOM wrapping speed and memory, a benchmark (not a test). In one run, on the same inputs:
 * - the floor: a plain streamed read + write of the input (what any wrapper must at least do);
 * - the peer: dcmtk `img2dcm` (JPEG inputs; it cannot read MP4);
 * - our wrap (lib/dicom: wrapPhoto / wrapVideo), which also hashes (SHA-256) and fsyncs what it writes.
 * Inputs, generated into a temp dir: 6 MB and 12 MB upright baseline JPEG, a 12 MP JPEG with EXIF orientation 6
 * (rotated: decoded, turned upright and re-encoded once), and a BENCH_WRAP_VIDEO_MB (default 300) MB H.264 MP4.
 * BENCH_WRAP_ONLY=photo|video runs one half. Prints medians of BENCH_WRAP_RUNS (default 9) interleaved runs (order rotated each round) and the ratios; for the video also the peak RSS growth.
 * Also measured, to show where the time goes: the floor made durable (fsync), and the floor that does everything the
 * wrap must do with the bytes (read, SHA-256 while writing, fsync). The video's poster JPEG is made in the background
 * after wrapVideo returns; the bench waits for it outside the timed part and reports its time separately.
 * Targets (issue 4): upright JPEG ≤ 1.5× floor and faster than img2dcm; video ≤ 1.3× a file copy with < 64 MB peak
 * memory growth; rotated 12 MP ≤ 2× sharp's bare decode + encode of the same image.
 */
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import type { TPhotoContext } from "../lib/dicom/photo-context";
import { createUid } from "../lib/dicom/uids";
import { wrapPhoto } from "../lib/dicom/wrap-photo";
import { wrapVideo } from "../lib/dicom/wrap-video";

const RUNS = Number(process.env.BENCH_WRAP_RUNS ?? 9);
const VIDEO_MB = Number(process.env.BENCH_WRAP_VIDEO_MB ?? 300);
/** `photo` or `video` to run only that half (while working on one of them). */
const ONLY = process.env.BENCH_WRAP_ONLY;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/**
 * Every timed run writes a new file, as the capture flow does (it never overwrites). Outputs of earlier runs are
 * deleted, and the directory fsync'ed, before the clock starts: on ext4 (mounted with `discard` here) freeing a file's
 * blocks is finished by the next journal commit, and whichever timed run fsyncs next would otherwise pay for it.
 */
let scratchDir = "";
let scratchCount = 0;
const scratch: string[] = [];
const fresh = (name: string): string => {
  const file = path.join(scratchDir, `${scratchCount++}-${name}`);
  scratch.push(file, `${file}.tmp`, `${file}.poster.jpg`);
  return file;
};
const settle = async (): Promise<void> => {
  for (const file of scratch.splice(0)) {
    fs.rmSync(file, { force: true });
  }
  const dh = await fs.promises.open(scratchDir, "r");
  await dh.sync();
  await dh.close();
};

const time = async (fn: () => Promise<unknown>): Promise<number> => {
  await settle();
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

/**
 * Runs `rounds` rounds of every function once, the order rotated by one each round: whatever a run leaves behind for
 * the next one (deleted files still being discarded by the disk, dirty pages being written back) falls on each
 * function equally often.
 */
const rotated = async <T>(fns: (() => Promise<T>)[], rounds: number, record: (k: number, value: T) => void): Promise<void> => {
  for (let i = 0; i < rounds; i += 1) {
    for (let j = 0; j < fns.length; j += 1) {
      const k = (i + j) % fns.length;
      record(k, await fns[k]!());
    }
  }
};

/** Medians of several functions measured in rotated rounds, one warm-up round first. */
const measureInterleaved = async (fns: (() => Promise<unknown>)[]): Promise<number[]> => {
  const timed = fns.map((fn) => () => time(fn));
  await rotated(timed, 1, () => undefined);
  const runs: number[][] = fns.map(() => []);
  await rotated(timed, RUNS, (k, ms) => runs[k]!.push(ms));
  return runs.map(median);
};

const context = (): TPhotoContext => ({
  patient: { mrn: "BENCH-1", issuer: "GENHOSP", familyName: "Bench", givenName: "Mark", middleName: "", suffix: "", prefix: "", birthDate: "19800101", sex: "O" },
  encounter: { visitNumber: "BV-1", visitIssuer: "GENHOSP", institutionName: "General Hospital" },
  study: { studyInstanceUid: createUid(), studyDateTime: new Date(), description: "Benchmark", procedureCode: { code: "B", scheme: "99EC", meaning: "Benchmark" } },
  series: { seriesInstanceUid: createUid(), seriesNumber: 1, modality: "XC" },
  instance: { sopInstanceUid: createUid(), instanceNumber: 1, contentDateTime: new Date(), anatomicRegion: { code: "14975008", scheme: "SCT", meaning: "Forearm" } },
  operatorName: "Bench^Runner",
});

/** A photo-like baseline JPEG of about `mb` MB (smooth gradient plus noise, so it compresses like a photo). */
const makeJpeg = async (file: string, width: number, height: number, quality: number, orientation?: number): Promise<void> => {
  const raw = Buffer.alloc(width * height * 3);
  const noise = crypto.randomBytes(raw.length);
  for (let i = 0; i < width * height; i += 1) {
    const x = i % width;
    const y = Math.floor(i / width);
    raw[i * 3] = ((x * 255) / width + (noise[i * 3]! & 63)) & 255;
    raw[i * 3 + 1] = ((y * 255) / height + (noise[i * 3 + 1]! & 63)) & 255;
    raw[i * 3 + 2] = (noise[i * 3 + 2]! & 127) + 64;
  }
  let img = sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality, chromaSubsampling: "4:2:0", mozjpeg: false });
  if (orientation) {
    img = img.withMetadata({ orientation });
  }
  await img.toFile(file);
};

/**
 * Reads `input` and writes it to `out`: whole file for photos; for the video in 1 MiB chunks, the next chunk read while
 * the current one is written (the fastest plain streamed copy here; Node's stream `pipeline` was slower under load).
 * `hash`: SHA-256 each chunk on this thread while the write runs on libuv's pool. `sync`: fdatasync at the end.
 */
const copyWith = async (input: string, out: string, opts: { hash: boolean; sync: boolean }): Promise<void> => {
  const hash = opts.hash ? crypto.createHash("sha256") : null;
  const fh = await fs.promises.open(out, "w");
  try {
    const { size } = fs.statSync(input);
    if (size <= 64 * 2 ** 20) {
      const bytes = await fs.promises.readFile(input);
      const written = fh.write(bytes);
      hash?.update(bytes);
      await written;
    } else {
      const src = await fs.promises.open(input, "r");
      const buffers = [Buffer.allocUnsafeSlow(2 ** 20), Buffer.allocUnsafeSlow(2 ** 20)];
      let position = 0;
      let k = 0;
      let next = src.read(buffers[0]!, 0, 2 ** 20, 0);
      while (position < size) {
        const { bytesRead } = await next;
        const chunk = buffers[k % 2]!.subarray(0, bytesRead);
        position += bytesRead;
        k += 1;
        if (position < size) {
          next = src.read(buffers[k % 2]!, 0, 2 ** 20, position);
        }
        const written = fh.write(chunk);
        hash?.update(chunk);
        await written;
      }
      await src.close();
    }
    if (opts.sync) {
      await fh.datasync();
    }
  } finally {
    await fh.close();
  }
  hash?.digest("hex");
};

/** The floor: read the file and write it; no hash, no fsync. */
const copyFloor = (input: string, out: string): Promise<void> => copyWith(input, out, { hash: false, sync: false });
/** The same, made durable (fdatasync) as our wrap makes its output. */
const durableFloor = (input: string, out: string): Promise<void> => copyWith(input, out, { hash: false, sync: true });
/** Read, SHA-256 while writing, fdatasync: what the wrap cannot avoid doing with the bytes. */
const hashedDurableFloor = (input: string, out: string): Promise<void> => copyWith(input, out, { hash: true, sync: true });

const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

const main = async (): Promise<void> => {
  const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), "bench-wrap-"));
  const out = (name: string): string => path.join(dir, name);
  scratchDir = fs.mkdtempSync(path.join(dir, "runs-"));
  const rows: string[] = [];
  try {
    console.log(`bench:wrap — median of ${RUNS} runs, ${os.cpus().length} cores, files in ${dir}`);
    if (ONLY !== "video") {
      const jpegs = [
        { name: "6 MB upright JPEG", file: out("6mb.jpg"), w: 3000, h: 2250 },
        { name: "12 MB upright JPEG", file: out("12mb.jpg"), w: 4250, h: 3200 },
      ];
      for (const j of jpegs) {
        await makeJpeg(j.file, j.w, j.h, 97);
      }
      const rotated = out("rotated-12mp.jpg");
      await makeJpeg(rotated, 4000, 3000, 92, 6);
      const hasImg2dcm = spawnSync("img2dcm", ["--version"]).status === 0;
      rows.push(
        "| input | size | floor ms | floor + fsync ms | floor + SHA-256 + fsync ms | img2dcm ms | our wrap ms | wrap / floor | wrap / floor + fsync | wrap / floor + SHA-256 + fsync | wrap / img2dcm |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
      );
      for (const j of [...jpegs]) {
        const input = fs.readFileSync(j.file);
        // Rotated rounds (floors, peer, ours in every round) so that load changes hit all of them alike.
        const [floor = NaN, durable = NaN, hashed = NaN, measuredPeer = NaN, ours = NaN] = await measureInterleaved([
          () => copyFloor(j.file, fresh("floor.bin")),
          () => durableFloor(j.file, fresh("floor.bin")),
          () => hashedDurableFloor(j.file, fresh("floor.bin")),
          async () => (hasImg2dcm ? execFileSync("img2dcm", ["-q", j.file, fresh("peer.dcm")]) : undefined),
          // Read as the capture flow (lib/capture/wrap-upload.ts) and the floor read it.
          async () => wrapPhoto({ input: await fs.promises.readFile(j.file), outPath: fresh("ours.dcm"), context: context() }),
        ]);
        const peer = hasImg2dcm ? measuredPeer : NaN;
        const ms = [floor, durable, hashed, peer, ours].map((x) => x.toFixed(1)).join(" | ");
        const ratios = [floor, durable, hashed, peer].map((x) => (ours / x).toFixed(2)).join(" | ");
        rows.push(`| ${j.name} | ${(input.length / 1e6).toFixed(1)} MB | ${ms} | ${ratios} |`);
      }
      // Rotated 12 MP: sharp's bare decode + rotate + encode of the same image is the reference.
      const [bare = NaN, oursRotated = NaN] = await measureInterleaved([
        () => sharp(rotated).rotate().jpeg({ quality: 95, chromaSubsampling: "4:2:0" }).toBuffer(),
        async () => wrapPhoto({ input: await fs.promises.readFile(rotated), outPath: fresh("rot.dcm"), context: context() }),
      ]);
      rows.push("", "| input | sharp decode+encode ms | our wrap ms | ratio |", "|---|---|---|---|");
      rows.push(`| 12 MP JPEG, EXIF orientation 6 | ${bare.toFixed(1)} | ${oursRotated.toFixed(1)} | ${(oursRotated / bare).toFixed(2)} |`);
    }
    if (ONLY !== "photo") {
      // Video: an H.264 High MP4 of ~VIDEO_MB MB (1080p30, level 4.1, so it is remuxed, not transcoded).
      const video = out("big.mp4");
      const seconds = Math.max(4, Math.round((VIDEO_MB * 8) / 40)); // ~40 Mbit/s
      execFileSync("ffmpeg", [
        "-v", "error", "-f", "lavfi", "-i", `testsrc2=size=1920x1080:rate=30:duration=${seconds}`,
        "-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "high", "-level", "4.1", "-pix_fmt", "yuv420p",
        "-b:v", "40M", "-maxrate", "50M", "-bufsize", "50M", "-movflags", "+faststart", "-y", video,
      ]);
      const size = fs.statSync(video).size;
      // Rotated rounds like the photos (copy, durable copy, hashed durable copy, wrap); every run writes a new file.
      const times: number[][] = [[], [], [], []];
      const posterTimes: number[] = [];
      let peakGrowth = 0;
      const wrapOnce = async (): Promise<number> => {
        await settle();
        const before = rssMb();
        let peak = before;
        const timer = setInterval(() => {
          peak = Math.max(peak, rssMb());
        }, 20);
        const t0 = performance.now();
        const result = await wrapVideo({ inputPath: video, outPath: fresh("video.dcm"), context: context() });
        const ms = performance.now() - t0;
        clearInterval(timer);
        peakGrowth = Math.max(peakGrowth, peak - before);
        // The poster is made in the background after wrapVideo returns; wait for it outside the timed part.
        if (!(await result.poster)) {
          throw new Error("poster frame failed");
        }
        posterTimes.push(performance.now() - t0 - ms);
        return ms;
      };
      const rounds: (() => Promise<number>)[] = [
        () => time(() => copyFloor(video, fresh("floor.mp4"))),
        () => time(() => durableFloor(video, fresh("floor.mp4"))),
        () => time(() => hashedDurableFloor(video, fresh("floor.mp4"))),
        wrapOnce,
      ];
      await rotated(rounds, 1, () => undefined); // warm-up
      peakGrowth = 0;
      posterTimes.length = 0;
      await rotated(rounds, RUNS, (k, ms) => times[k]!.push(ms));
      const [copy = NaN, durableCopy = NaN, hashedCopy = NaN, wrapped = NaN] = times.map(median);
      rows.push(
        "",
        "| input | size | file copy ms | copy + fsync ms | copy + SHA-256 + fsync ms | our wrap ms | wrap / copy | wrap / copy + fsync | wrap / copy + SHA-256 + fsync | peak RSS growth | poster (background) ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
      );
      const ms = [copy, durableCopy, hashedCopy, wrapped].map((x) => x.toFixed(0)).join(" | ");
      const ratios = [copy, durableCopy, hashedCopy].map((x) => (wrapped / x).toFixed(2)).join(" | ");
      rows.push(`| H.264 MP4 1080p30 | ${(size / 1e6).toFixed(0)} MB | ${ms} | ${ratios} | ${peakGrowth.toFixed(1)} MB | ${median(posterTimes).toFixed(0)} |`);
    }
    console.log(`\n${rows.join("\n")}`);
    console.log("\nTargets: upright JPEG ≤ 1.5× floor and < img2dcm; rotated ≤ 2× sharp; video ≤ 1.3× copy, < 64 MB growth.");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

await main();
