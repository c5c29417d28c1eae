/**
 * `npm run bench:forward` — delivery speed over distance, a benchmark (not a test).
 *
 * Sets (valid DICOM made with the project's own wrappers, cached under $BENCH_DIR or the temp dir):
 *   small: 200 VL Photographic instances of ~200 KB;  large: ~1 GB of ~6 MB photos and ~200 MB H.264 videos.
 * Links (tests/support/link-emulator.ts in front of a fresh Orthanc per run): RTT 0, 50, 150 ms × 100 Mbit/s and
 *   1 Gbit/s (4 MiB window per connection); plus "direct" (no emulator) to show what Orthanc on loopback can take.
 * Senders, in the same run on the same files:
 *   ours      — the forwarder (run-forwarder.ts): batched STOW-RS, adaptive parallelism (maxParallel 8);
 *   single    — the forwarder with one request in flight and one instance per request (a single sequential stream);
 *   curl-each — plain curl, one STOW-RS request per instance on one keep-alive connection;
 *   curl-batch— plain curl, one multipart request with every instance;
 *   cstore    — the forwarder over DIMSE C-STORE (adaptive associations), cstore-1 — the same on one association
 *               at a time, and storescu — dcmtk, one association (small set only: one storescu run proposes one
 *               compressed transfer syntax). A mode named twice runs twice; ratios use the mean of the runs;
 *   ours-sink, single-sink — ours and single over the same link into a receiver that scans each request for its SOP
 *               Instance UIDs and discards it (tests/support/fake-stow-server.ts, discardBody): what the sender and
 *               the link reach when the archive is not the limit.
 * The archive: Orthanc with its default settings (BENCH_FORWARD_ORTHANC=stock); `fast` puts its storage and index in
 *   RAM and turns off its MD5 per stored file. The link emulator runs in a child process of its own.
 * Targets (issue 5): large set at 1 Gbit/s and 50 ms ≥ 80 % of the link rate; small set total time ≤ (zero-latency
 * time + 10 RTT) + 20 %; RTT 0: ours ≥ 0.9× curl-batch; C-STORE ≥ 0.8× storescu (Orthanc started with TCP_NODELAY=1).
 *
 * Knobs: BENCH_FORWARD_SETS=small,large  BENCH_FORWARD_RTTS=0,50,150  BENCH_FORWARD_RATES=100,1000 (Mbit/s)
 *   BENCH_FORWARD_MODES=ours,single,curl-each,curl-batch,cstore,storescu,ours-sink,single-sink (also cstore-1)  BENCH_FORWARD_CSTORE_RTTS=0
 *   BENCH_FORWARD_DIRECT=1 (also run without the emulator)  BENCH_FORWARD_LARGE_MB=1024  BENCH_DIR=/tmp
 *   BENCH_FORWARD_ORTHANC=fast|stock
 */
import { execFile, execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import type { TPhotoContext } from "../lib/dicom/photo-context";
import { createUid } from "../lib/dicom/uids";
import { wrapPhoto } from "../lib/dicom/wrap-photo";
import { wrapVideo } from "../lib/dicom/wrap-video";
import { closeDelimiter, partHeader } from "../lib/forwarding/multipart-body";
import { runForwarder, type TForwarderOptions } from "../lib/forwarding/run-forwarder";
import { seedDeliveries, type TFixtureFile } from "../tests/support/forwarding-fixtures";
import { startLinkEmulatorProcess, type TLinkEmulator } from "../tests/support/link-emulator";
import { startFakeStowServer, storeAll } from "../tests/support/fake-stow-server";
import { startOrthanc, type TOrthanc } from "../tests/support/orthanc";
import { createTestDatabase } from "../tests/support/test-db";

const run = promisify(execFile);
const list = (name: string, fallback: string): string[] => (process.env[name] ?? fallback).split(",").map((s) => s.trim()).filter(Boolean);
const SETS = list("BENCH_FORWARD_SETS", "small,large");
const RTTS = list("BENCH_FORWARD_RTTS", "0,50,150").map(Number);
const RATES = list("BENCH_FORWARD_RATES", "100,1000").map(Number);
const MODES = list("BENCH_FORWARD_MODES", "ours,single,curl-each,curl-batch,cstore,storescu,ours-sink,single-sink");
const CSTORE_RTTS = list("BENCH_FORWARD_CSTORE_RTTS", "0").map(Number);
const DIRECT = process.env.BENCH_FORWARD_DIRECT !== "0";
const LARGE_MB = Number(process.env.BENCH_FORWARD_LARGE_MB ?? 1024);
const ROOT = path.join(process.env.BENCH_DIR ?? os.tmpdir(), "ec-bench-forward-v1");

type TSet = { name: string; files: TFixtureFile[]; bytes: number };
type TLink = { label: string; rttMs: number; mbit: number; direct: boolean };
type TResult = { set: string; link: TLink; mode: string; seconds: number; note: string };

const context = (studyInstanceUid: string, seriesInstanceUid: string, n: number): TPhotoContext => ({
  patient: { mrn: "BENCH-1", issuer: "GENHOSP", familyName: "Bench", givenName: "Mark", middleName: "", suffix: "", prefix: "", birthDate: "19800101", sex: "O" },
  encounter: { visitNumber: "BV-1", visitIssuer: "GENHOSP", institutionName: "General Hospital" },
  study: { studyInstanceUid, studyDateTime: new Date(), description: "Benchmark", procedureCode: { code: "B", scheme: "99EC", meaning: "Benchmark" } },
  series: { seriesInstanceUid, seriesNumber: 1, modality: "XC" },
  instance: { sopInstanceUid: createUid(), instanceNumber: n, contentDateTime: new Date(), anatomicRegion: { code: "14975008", scheme: "SCT", meaning: "Forearm" } },
  operatorName: "Bench^Runner",
});

/** A photo-like JPEG (gradient plus noise), as bench-wrap.ts makes them. */
const makeJpeg = async (file: string, width: number, height: number, quality: number): Promise<void> => {
  const raw = Buffer.alloc(width * height * 3);
  const noise = crypto.randomBytes(raw.length);
  for (let i = 0; i < width * height; i += 1) {
    raw[i * 3] = ((((i % width) * 255) / width + ((noise[i * 3] as number) & 63)) & 255);
    raw[i * 3 + 1] = (((Math.floor(i / width) * 255) / height + ((noise[i * 3 + 1] as number) & 63)) & 255);
    raw[i * 3 + 2] = ((noise[i * 3 + 2] as number) & 127) + 64;
  }
  await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality, chromaSubsampling: "4:2:0" }).toFile(file);
};

/** Build (or load from the cache) one set: wrapped DICOM files plus the manifest seedDeliveries needs. */
const loadSet = async (name: "small" | "large"): Promise<TSet> => {
  const dir = path.join(ROOT, name === "small" ? "small" : `large-${LARGE_MB}`);
  const manifest = path.join(dir, "manifest.json");
  if (fs.existsSync(manifest)) {
    const files = JSON.parse(fs.readFileSync(manifest, "utf8")) as TFixtureFile[];

    return { name, files, bytes: files.reduce((n, f) => n + f.size, 0) };
  }
  fs.mkdirSync(dir, { recursive: true });
  const studyInstanceUid = createUid();
  const seriesInstanceUid = createUid();
  const files: TFixtureFile[] = [];
  const add = (file: string, r: { sopClassUid: string; sha256: string; size: number }, sopInstanceUid: string): void => {
    files.push({
      filePath: path.relative(ROOT, file), absolutePath: file, sopInstanceUid, sopClassUid: r.sopClassUid,
      seriesInstanceUid, studyInstanceUid, sha256: r.sha256, size: r.size,
    });
  };
  const photo = async (jpeg: string, count: number, prefix: string): Promise<void> => {
    const input = fs.readFileSync(jpeg);
    for (let i = 0; i < count; i++) {
      const ctx = context(studyInstanceUid, seriesInstanceUid, files.length + 1);
      const out = path.join(dir, `${prefix}${i}.dcm`);
      add(out, await wrapPhoto({ input, outPath: out, context: ctx }), ctx.instance.sopInstanceUid);
    }
  };
  console.log(`generating the ${name} set in ${dir} (cached for later runs)…`);
  if (name === "small") {
    await makeJpeg(path.join(dir, "small.jpg"), 560, 420, 95);
    await photo(path.join(dir, "small.jpg"), 200, "s");
  } else {
    await makeJpeg(path.join(dir, "photo.jpg"), 3000, 2250, 97);
    const videos = Math.max(1, Math.round((LARGE_MB * 0.8) / 200));
    const mp4 = path.join(dir, "video.mp4");
    execFileSync("ffmpeg", [
      "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=40",
      "-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "high", "-level", "4.1", "-pix_fmt", "yuv420p",
      "-b:v", "40M", "-maxrate", "50M", "-bufsize", "50M", "-movflags", "+faststart", "-y", mp4,
    ]);
    for (let i = 0; i < videos; i++) {
      const ctx = context(studyInstanceUid, seriesInstanceUid, files.length + 1);
      const out = path.join(dir, `v${i}.dcm`);
      add(out, await wrapVideo({ inputPath: mp4, outPath: out, context: ctx }), ctx.instance.sopInstanceUid);
    }
    const photoBytes = fs.statSync(path.join(dir, "photo.jpg")).size;
    const remaining = LARGE_MB * 1e6 - files.reduce((n, f) => n + f.size, 0);
    await photo(path.join(dir, "photo.jpg"), Math.max(1, Math.round(remaining / photoBytes)), "p");
    fs.rmSync(mp4);
  }
  fs.writeFileSync(manifest, JSON.stringify(files));

  return { name, files, bytes: files.reduce((n, f) => n + f.size, 0) };
};

/** Multipart bodies for curl: one per instance, and one with all of them (cached next to the set). */
const curlBodies = (set: TSet): { boundary: string; each: string[]; batch: string } => {
  const dir = path.join(ROOT, `${set.name}-bodies-${set.files.length}`);
  const boundary = "BenchBoundary0123456789abcdef";
  const each = set.files.map((_, i) => path.join(dir, `${i}.body`));
  const batch = path.join(dir, "all.body");
  if (!fs.existsSync(batch)) {
    fs.mkdirSync(dir, { recursive: true });
    const all = fs.openSync(batch, "w");
    for (const [i, f] of set.files.entries()) {
      const data = fs.readFileSync(f.absolutePath);
      fs.writeFileSync(each[i] as string, Buffer.concat([partHeader(boundary), data, closeDelimiter(boundary)]));
      fs.writeSync(all, Buffer.concat([i > 0 ? Buffer.from("\r\n") : Buffer.alloc(0), partHeader(boundary), data]));
    }
    fs.writeSync(all, closeDelimiter(boundary));
    fs.closeSync(all);
  }

  return { boundary, each, batch };
};

/** The forwarder delivering the whole set to `url`; seconds from start until every job is stored. */
const forward = async (set: TSet, url: string, tuning: Partial<TForwarderOptions>): Promise<{ seconds: number; note: string }> => {
  const t = await createTestDatabase();
  try {
    await seedDeliveries(t.db, set.files, { bench: url });
    await t.db.destination.updateMany({ data: { kind: url.startsWith("dicom:") ? "dimse" : "stow-rs" } });
    const limits: number[] = [];
    const t0 = performance.now();
    const forwarder = runForwarder({ db: t.db, dataDir: ROOT, pollMs: 20, ...tuning, onParallelism: (_id, s) => limits.push(s.limit) });
    const total = set.files.length;
    for (;;) {
      // One query a poll: the harness shares the forwarder's process (and its database) while it measures.
      const done = await t.db.deliveryJob.count({ where: { status: { in: ["stored", "failed"] } } });
      const timedOut = performance.now() - t0 > 20 * 60_000;
      if (done === total || timedOut) {
        const seconds = (performance.now() - t0) / 1000;
        await forwarder.stop();
        const failed = await t.db.deliveryJob.count({ where: { status: "failed" } });
        const stored = done - failed;
        const attempts = (await t.db.deliveryJob.aggregate({ _sum: { attempts: true } }))._sum.attempts ?? 0;
        const notes = [timedOut ? `TIMED OUT with ${stored} stored` : "", failed ? `${failed} FAILED` : "", attempts > total ? `${attempts - total} retries` : "", limits.length ? `N≤${Math.max(...limits)}, end ${limits.at(-1)}` : ""];

        return { seconds, note: notes.filter(Boolean).join("; ") };
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await t.drop();
  }
};

const curl = async (url: string, boundary: string, bodies: string[]): Promise<number> => {
  const args: string[] = [];
  for (const [i, body] of bodies.entries()) {
    args.push(...(i > 0 ? ["--next"] : []), "-sS", "-o", "/dev/null", "-w", "%{http_code}\\n", "-X", "POST",
      "-H", `Content-Type: multipart/related; type="application/dicom"; boundary=${boundary}`,
      "-H", "Accept: application/dicom+json", "-H", "Expect:", "--data-binary", `@${body}`, `${url}/studies`);
  }
  const t0 = performance.now();
  const { stdout } = await run("curl", args, { maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - t0) / 1000;
  const codes = stdout.trim().split("\n");
  if (codes.some((c) => c !== "200")) {
    throw new Error(`curl answers: ${[...new Set(codes)].join(",")}`);
  }

  return seconds;
};

const storescu = async (host: string, port: number, files: string[]): Promise<number> => {
  const t0 = performance.now();
  // -xy: propose JPEG Baseline (storescu proposes uncompressed syntaxes only by default; its -x options are
  // alternatives, so one run cannot carry JPEG photos and H.264 videos: the C-STORE comparison uses the small set).
  await run("storescu", ["-xy", "-aet", "BENCH", "-aec", "ECTEST", host, String(port), ...files], {
    maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TCP_NODELAY: "1" },
  });

  return (performance.now() - t0) / 1000;
};

/**
 * The archive's own settings: "stock" (default) is Orthanc's defaults with storage on the temp dir; "fast" keeps Orthanc's storage and index in RAM (/dev/shm) and turns off its
 * MD5 of every stored file and its storage cache, so that the benchmark measures the link and the sender rather
 * than Orthanc's disk and hashing (Orthanc spends ~13 ns of CPU per byte ingested over REST on this machine, more over
 * STOW-RS). Every sender of a run gets the same archive.
 */
const ORTHANC = process.env.BENCH_FORWARD_ORTHANC ?? "stock";
const orthancConfig = (): { config: Record<string, unknown>; cleanup: () => void } => {
  if (ORTHANC === "stock") {
    return { config: {}, cleanup: () => undefined };
  }
  const ram = fs.mkdtempSync(path.join("/dev/shm", "ec-bench-orthanc-"));
  const cleanup = (): void => fs.rmSync(ram, { recursive: true, force: true });
  process.once("exit", cleanup);

  return {
    config: {
      StorageDirectory: path.join(ram, "storage"), IndexDirectory: path.join(ram, "index"),
      StoreMD5ForAttachments: false, MaximumStorageCacheSize: 0,
    },
    cleanup,
  };
};

const runOne = async (set: TSet, link: TLink, mode: string): Promise<TResult> => {
  process.env.TCP_NODELAY = "1"; // Orthanc's DICOM server inherits it (see dimse-throughput.test.ts)
  const archive = orthancConfig();
  const orthanc: TOrthanc = await startOrthanc({ config: archive.config });
  const links: TLinkEmulator[] = [];
  const through = async (port: number): Promise<number> => {
    if (link.direct) {
      return port;
    }
    const l = await startLinkEmulatorProcess({ targetPort: port, rttMs: link.rttMs, rateBitsPerSecond: link.mbit * 1e6 });
    links.push(l);

    return l.port;
  };
  const sink = mode.endsWith("-sink") ? await startFakeStowServer({ sink: { stow: storeAll, discardBody: true } }) : undefined;
  try {
    if (sink) {
      // The same sender and link into a receiver that costs almost nothing (it scans the body for the SOP Instance
      // UIDs and discards it): what the link and the sender reach when the archive is not the limit.
      const port = await through(Number(new URL(sink.urlFor("sink")).port));
      const { seconds, note } = await forward(set, `http://127.0.0.1:${port}/sink/dicom-web`, mode === "single-sink" ? { concurrency: 1, maxInstancesPerRequest: 1 } : {});
      const got = new Set(sink.requests.flatMap((r) => r.uids)).size;

      return { set: set.name, link, mode, seconds, note: [note, got === set.files.length ? "" : `sink got ${got}/${set.files.length}`].filter(Boolean).join("; ") };
    }
    const httpPort = await through(orthanc.httpPort);
    const stowUrl = `http://127.0.0.1:${httpPort}/dicom-web`;
    let seconds = 0;
    let note = "";
    if (mode === "ours" || mode === "single") {
      ({ seconds, note } = await forward(set, stowUrl, mode === "single" ? { concurrency: 1, maxInstancesPerRequest: 1 } : {}));
    } else if (mode === "curl-each" || mode === "curl-batch") {
      const bodies = curlBodies(set);
      seconds = await curl(stowUrl, bodies.boundary, mode === "curl-each" ? bodies.each : [bodies.batch]);
    } else if (mode === "cstore" || mode === "cstore-1") {
      const dicomPort = await through(orthanc.dicomPort);
      ({ seconds, note } = await forward(set, `dicom://ECTEST@127.0.0.1:${dicomPort}`, mode === "cstore-1" ? { concurrency: 1 } : {}));
    } else if (mode === "storescu") {
      const dicomPort = await through(orthanc.dicomPort);
      seconds = await storescu("127.0.0.1", dicomPort, set.files.map((f) => f.absolutePath));
    }
    const count = await orthanc.countInstances();
    if (count !== set.files.length) {
      note = `${note ? `${note}; ` : ""}Orthanc holds ${count}/${set.files.length}`;
    }

    return { set: set.name, link, mode, seconds, note };
  } catch (err) {
    const e = err as Error & { stderr?: string };

    return { set: set.name, link, mode, seconds: NaN, note: `error: ${(e.stderr || e.message).trim().split("\n").slice(-2).join(" ").slice(0, 200)}` };
  } finally {
    for (const l of links) {
      await l.close();
    }
    await orthanc.dispose();
    archive.cleanup();
    await sink?.close();
  }
};

/** Synchronous output: the script ends with process.exit, which could cut a piped console.log short. */
const say = (line: string): void => {
  fs.writeSync(1, `${line}\n`);
};

const main = async (): Promise<void> => {
  process.env.LOG_LEVEL = process.env.BENCH_FORWARD_LOG_LEVEL ?? "silent";
  fs.mkdirSync(ROOT, { recursive: true });
  const load = os.loadavg()[0]?.toFixed(1);
  say(`bench:forward — ${os.cpus().length} cores, load ${load}, inputs in ${ROOT}`);
  const links: TLink[] = [];
  for (const mbit of RATES) {
    for (const rttMs of RTTS) {
      links.push({ label: `${mbit >= 1000 ? `${mbit / 1000} Gbit/s` : `${mbit} Mbit/s`}, RTT ${rttMs} ms`, rttMs, mbit, direct: false });
    }
  }
  if (DIRECT) {
    links.unshift({ label: "direct (no emulator)", rttMs: 0, mbit: 0, direct: true });
  }
  const results: TResult[] = [];
  for (const name of SETS) {
    const set = await loadSet(name as "small" | "large");
    say(`\n## ${name} set: ${set.files.length} instances, ${(set.bytes / 1e6).toFixed(0)} MB`);
    say("| link | sender | seconds | MB/s | % of link | notes |\n|---|---|---|---|---|---|");
    for (const link of links) {
      for (const mode of MODES) {
        const isDimse = mode.startsWith("cstore") || mode === "storescu";
        if (isDimse && (name !== "small" || (!link.direct && !CSTORE_RTTS.includes(link.rttMs)))) {
          continue;
        }
        if (mode === "curl-batch" && set.bytes > 1.2e9) {
          continue;
        }
        const r = await runOne(set, link, mode);
        results.push(r);
        const mbps = set.bytes / 1e6 / r.seconds;
        const share = link.mbit ? `${((mbps * 8) / link.mbit * 100).toFixed(0)} %` : "";
        say(`| ${link.label} | ${mode} | ${r.seconds.toFixed(2)} | ${mbps.toFixed(1)} | ${share} | ${r.note} |`);
      }
    }
    say("\nTargets:");
    const find = (l: TLink, mode: string): TResult | undefined => results.find((r) => r.set === name && r.link === l && r.mode === mode);
    for (const link of links.filter((l) => !l.direct)) {
      // Every run of a sender counts (BENCH_FORWARD_MODES may name one twice, e.g. cstore,storescu,storescu,cstore).
      const mean = (mode: string): number | undefined => {
        const runs = results.filter((r) => r.set === name && r.link === link && r.mode === mode && Number.isFinite(r.seconds));

        return runs.length ? runs.reduce((sum, r) => sum + r.seconds, 0) / runs.length : undefined;
      };
      const cstore = mean("cstore");
      const scu = mean("storescu");
      if (link.rttMs === 0 && cstore && scu) {
        const ratio = scu / cstore;
        say(`- ${name}, ${link.label}: C-STORE ours / storescu throughput = ${ratio.toFixed(2)} (target ≥ 0.8) ${ratio >= 0.8 ? "MET" : "NOT MET"}`);
      }
      const ours = find(link, "ours");
      if (!ours) {
        continue;
      }
      if (name === "large" && link.mbit === 1000 && link.rttMs === 50) {
        const share = ((set.bytes * 8) / ours.seconds / 1e9) * 100;
        say(`- large, 1 Gbit/s, 50 ms: ours ${share.toFixed(0)} % of link (target ≥ 80 %) ${share >= 80 ? "MET" : "NOT MET"}`);
        const sink = find(link, "ours-sink");
        if (sink) {
          const sinkShare = ((set.bytes * 8) / sink.seconds / 1e9) * 100;
          say(`  the same sender and link into a discarding receiver: ${sinkShare.toFixed(0)} % of link ${sinkShare >= 80 ? "(≥ 80 %)" : "(< 80 %)"}`);
        }
      }
      const zero = links.find((l) => !l.direct && l.mbit === link.mbit && l.rttMs === 0);
      const base = zero ? find(zero, "ours") : undefined;
      if (name === "small" && link.rttMs > 0 && base) {
        const limit = (base.seconds + (10 * link.rttMs) / 1000) * 1.2;
        say(`- small, ${link.label}: ${ours.seconds.toFixed(2)} s vs (${base.seconds.toFixed(2)} s + 10 RTT) + 20 % = ${limit.toFixed(2)} s ${ours.seconds <= limit ? "MET" : "NOT MET"}`);
      }
      if (link.rttMs === 0) {
        const batch = find(link, "curl-batch");
        if (batch) {
          const ratio = batch.seconds / ours.seconds;
          say(`- ${name}, ${link.label}: ours / curl-batch throughput = ${ratio.toFixed(2)} (target ≥ 0.9) ${ratio >= 0.9 ? "MET" : "NOT MET"}`);
        }
      }
      const single = find(link, "single");
      if (single) {
        say(`- ${name}, ${link.label}: ours / single stream = ${(single.seconds / ours.seconds).toFixed(2)}×`);
      }
    }
  }
  // The migrated SQLite template test-db.ts made for this process.
  fs.rmSync(path.join(os.tmpdir(), `ec-template-solo${process.pid}.db`), { force: true });
  process.exit(0);
};

await main();
