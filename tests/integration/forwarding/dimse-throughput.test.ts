// @test-once-per-run: uses no database (DIMSE client and storescu against Orthanc); scripts/test.mjs runs it in the first database pass only.
/**
 * Throughput on the LAN (a measurement, printed, not asserted): COUNT small instances over one association into
 * Orthanc with our client, and the same number with dcmtk `storescu` into the same Orthanc (different instances,
 * so neither run meets "already stored"), in the order storescu, ours, ours, storescu so that neither profits from a
 * warmer or emptier archive. Issue 5's target: C-STORE ≥ 0.8× storescu. Asserted: everything stored.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cStoreFiles } from "@/lib/forwarding/dimse/c-store-files";
import { openAssociation } from "@/lib/forwarding/dimse/dimse-client";
import { makeDicomFiles, type TFixtureFile } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";

const run = promisify(execFile);
/** 40 in the test suite (it proves the comparison runs and everything is stored); `npm run bench:dimse` uses 200. */
const COUNT = Number(process.env.DIMSE_THROUGHPUT_FILES ?? 40);
const JPEG_BASELINE = "1.2.840.10008.1.2.4.50";

type TMode = "stock" | "TCP_NODELAY=1";

/** DCMTK (storescu, and Orthanc's DICOM server) disables Nagle only when the environment says TCP_NODELAY=1. */
const envFor = (mode: TMode): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.TCP_NODELAY;

  return mode === "stock" ? env : { ...env, TCP_NODELAY: "1" };
};

const storescu = async (port: number, files: string[], mode: TMode): Promise<void> => {
  try {
    // -xy: propose JPEG Baseline (storescu proposes uncompressed syntaxes only by default).
    await run("storescu", ["-xy", "-aet", "ENC_CAPTURE", "-aec", "ECTEST", "127.0.0.1", String(port), ...files], { maxBuffer: 16 * 1024 * 1024, env: envFor(mode) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") {
      throw new Error("storescu is not installed: apt-get install -y --no-install-recommends dcmtk");
    }
    throw new Error(`storescu failed: ${(e.stderr ?? "").slice(0, 2000)}`);
  }
};

/** Orthanc inherits our environment: start it with or without TCP_NODELAY=1. */
const startOrthancIn = async (mode: TMode): Promise<TOrthanc> => {
  const saved = process.env.TCP_NODELAY;
  process.env.TCP_NODELAY = mode === "stock" ? "" : "1";
  if (mode === "stock") {
    delete process.env.TCP_NODELAY;
  }
  try {
    return await startOrthanc();
  } finally {
    if (saved === undefined) {
      delete process.env.TCP_NODELAY;
    } else {
      process.env.TCP_NODELAY = saved;
    }
  }
};

describe("C-STORE throughput vs dcmtk storescu (printed)", () => {
  let dir: string;
  /** Four sets: storescu, ours, ours, storescu. */
  let sets: TFixtureFile[][];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimse-throughput-"));
    sets = [];
    for (const name of ["scu1", "ours1", "ours2", "scu2"]) {
      sets.push(await makeDicomFiles(dir, COUNT, { subdir: name }));
    }
  }, 600_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // stock: Orthanc (DCMTK) writes each PDU header and its PDV in two writes with Nagle on, so every response waits
  // for our delayed ACK (~40 ms); nothing on the client side avoids that (node has no TCP_QUICKACK).
  it.each(["stock", "TCP_NODELAY=1"] as const)(`stores ${COUNT} small instances over one association (Orthanc %s); prints files/s against storescu`, async (mode) => {
    const orthanc = await startOrthancIn(mode);
    try {
      const target = { host: "127.0.0.1", port: orthanc.dicomPort, callingAet: "ENC_CAPTURE", calledAet: "ECTEST" };
      const echoes = await openAssociation(target);
      await echoes.echo(); // warm-up
      const echoStart = performance.now();
      for (let i = 0; i < 20; i++) {
        await echoes.echo();
      }
      const echoMs = (performance.now() - echoStart) / 20;
      await echoes.release();

      const timeStorescu = async (files: TFixtureFile[]): Promise<number> => {
        const t = performance.now();
        await storescu(orthanc.dicomPort, files.map((f) => f.absolutePath), mode);

        return performance.now() - t;
      };
      const timeOurs = async (files: TFixtureFile[]): Promise<number> => {
        const t = performance.now();
        // With identities, as the forwarder calls it (they are in the Instance rows); the File Meta is still checked.
        const outcomes = await cStoreFiles(target, files.map((f) => ({
          path: f.absolutePath, sopClassUid: f.sopClassUid, sopInstanceUid: f.sopInstanceUid, transferSyntaxUid: JPEG_BASELINE,
        })));
        const ms = performance.now() - t;
        expect(outcomes.filter((o) => o.statusKind !== "success").map((o) => o.detail)).toEqual([]);

        return ms;
      };
      const [scu1, ours1, ours2, scu2] = [await timeStorescu(sets[0]!), await timeOurs(sets[1]!), await timeOurs(sets[2]!), await timeStorescu(sets[3]!)];
      const storescuMs = (scu1 + scu2) / 2;
      const oursMs = (ours1 + ours2) / 2;

      expect(await orthanc.countInstances()).toBe(4 * COUNT);
      const forUs = [...sets[1]!, ...sets[2]!];
      const mean = forUs.reduce((sum, f) => sum + f.size, 0) / forUs.length;
      const ours = COUNT / (oursMs / 1000);
      const theirs = COUNT / (storescuMs / 1000);
      console.log(
        `[dimse] Orthanc ${mode}: ${COUNT} files of ~${Math.round(mean / 1024)} KiB on localhost: ours ${ours.toFixed(1)} files/s ` +
          `(${ours1.toFixed(0)} / ${ours2.toFixed(0)} ms), storescu ${theirs.toFixed(1)} files/s (${scu1.toFixed(0)} / ${scu2.toFixed(0)} ms, ` +
          `process start included), ` +
          `ratio ${(ours / theirs).toFixed(2)}× (target ≥ 0.8×); C-ECHO round trip ${echoMs.toFixed(2)} ms`,
      );
    } finally {
      await orthanc.dispose();
    }
  }, 600_000);
});
