// @test-once-per-run: uses no database (DIMSE client against dcmtk storescp); scripts/test.mjs runs it in the first database pass only.
/**
 * The DIMSE client against dcmtk `storescp` and its test options: a refused association, an abort during and after
 * a C-STORE, a stall past the DIMSE timeout, transfer syntaxes the peer does not accept, a small maximum PDU, and
 * bit-preserving storage proving the data set arrives byte for byte.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { wrapVideo } from "@/lib/dicom/wrap-video";
import { cStoreFiles } from "@/lib/forwarding/dimse/c-store-files";
import { openAssociation } from "@/lib/forwarding/dimse/dimse-client";
import { classifyDimseFailure } from "@/lib/forwarding/dimse/dimse-status";
import { parsePart10Header, readPart10Header } from "@/lib/forwarding/dimse/part10-header";
import { makeDicomFiles, type TFixtureFile } from "../../support/forwarding-fixtures";
import { startStorescp, type TStorescp } from "../../support/storescp";
import { makeClip } from "../../support/video-corpus";
import { makeContext } from "../../unit/dicom/photo-fixtures";

const datasetOf = (bytes: Buffer): Buffer => bytes.subarray(parsePart10Header(bytes, bytes.length).datasetOffset);
const identity = (f: TFixtureFile) => ({ sopClassUid: f.sopClassUid, sopInstanceUid: f.sopInstanceUid, transferSyntaxUid: "1.2.840.10008.1.2.4.50" });

describe("DIMSE client against dcmtk storescp", () => {
  let dir: string;
  let small: TFixtureFile[];
  let large: TFixtureFile;
  let videoPath: string;
  let scp: TStorescp | undefined;
  const target = (s: TStorescp, timeouts = {}) =>
    ({ host: "127.0.0.1", port: s.port, callingAet: "ENC_CAPTURE", calledAet: s.aet, timeouts });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimse-storescp-"));
    small = await makeDicomFiles(dir, 3, { subdir: "small" });
    // Random pixels do not compress: ~1.5 MB, far more than one PDU and than the socket buffers.
    [large] = await makeDicomFiles(dir, 1, { width: 1200, height: 900, subdir: "large" }) as [TFixtureFile];
    const context = makeContext({ modality: "XC" });
    context.instance.anatomicRegion = { code: "14975008", scheme: "SCT", meaning: "Forearm" };
    videoPath = path.join(dir, "video.dcm");
    await wrapVideo({ inputPath: makeClip(path.join(dir, "clip.mp4"), 1), outPath: videoPath, context });
  });
  afterEach(async () => {
    await scp?.stop();
    scp = undefined;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a refused association (--refuse) is a permanent association-rejected error naming result, source and reason", async () => {
    scp = await startStorescp(["--refuse"]);
    const err = await openAssociation(target(scp)).then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({
      code: "association-rejected", kind: "permanent", detail: { result: 1, source: 1, reason: 1 },
      message: `STORESCP@127.0.0.1:${scp.port}: association rejected-permanent by the service user: no reason given`,
    });
    expect(classifyDimseFailure(err)).toBe("permanent");
    const outcomes = await cStoreFiles(target(scp), [{ path: small[0]!.absolutePath }]);
    expect(outcomes.map((o) => [o.statusKind, o.error?.code])).toEqual([["permanent", "association-rejected"]]);
  });

  it("an abort during the transfer (--abort-during) is a transient error; the association is closed, the SCP serves the next one", async () => {
    scp = await startStorescp(["+xa", "--abort-during"]);
    const association = await openAssociation(target(scp));
    const err = await association.store(large.absolutePath, identity(large)).then(() => null, (e: unknown) => e);
    // storescp sends A-ABORT and closes while we are still writing: usually we read the A-ABORT first; when the
    // kernel answers our next write with a reset first, the A-ABORT is lost with the connection. Both are transient.
    expect(err).toMatchObject({ code: expect.stringMatching(/^(aborted|connection-closed)$/), kind: "transient" });
    expect(association.isOpen()).toBe(false);
    await expect(association.store(small[0]!.absolutePath, identity(small[0]!))).rejects.toMatchObject({ kind: "transient" });
    await association.release(); // nothing to release: resolves at once
    const again = await openAssociation(target(scp));
    expect(await again.echo()).toEqual({ status: 0, statusKind: "success" });
    await again.release();
    expect(scp.receivedFiles()).toEqual([]);
  });

  it("an abort after the request, before the response (--abort-after): transient, and cStoreFiles marks the rest not sent", async () => {
    scp = await startStorescp(["+xa", "--abort-after"]);
    const outcomes = await cStoreFiles(target(scp), small.map((f) => ({ path: f.absolutePath })));
    expect(outcomes.map((o) => [o.statusKind, o.error?.code])).toEqual([
      ["transient", "aborted"], ["transient", "aborted"], ["transient", "aborted"],
    ]);
  });

  it("a peer that stalls past the DIMSE timeout (--sleep-during 5) fails after ~1 s with a transient dimse-timeout", async () => {
    scp = await startStorescp(["+xa", "--sleep-during", "5"]);
    const association = await openAssociation(target(scp, { dimseMs: 1000 }));
    const started = Date.now();
    const err = await association.store(small[0]!.absolutePath, identity(small[0]!)).then(() => null, (e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toMatchObject({ code: "dimse-timeout", kind: "transient", message: "no C-STORE response within 1000 ms" });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3000);
    expect(association.isOpen()).toBe(false);
  });

  it("no presentation context for a file's own transfer syntax → permanent, nothing converted, the association stays usable", async () => {
    scp = await startStorescp([]); // default: uncompressed transfer syntaxes only
    const association = await openAssociation(target(scp));
    expect(association.accepts("1.2.840.10008.5.1.4.1.1.77.1.4", "1.2.840.10008.1.2.4.50")).toBe(false);
    expect(association.accepts("1.2.840.10008.5.1.4.1.1.77.1.4", "1.2.840.10008.1.2.1")).toBe(true);
    await expect(association.store(small[0]!.absolutePath, identity(small[0]!))).rejects.toMatchObject({
      code: "no-presentation-context", kind: "permanent",
      message: "archive does not accept VL Photographic Image (1.2.840.10008.5.1.4.1.1.77.1.4) in JPEG Baseline (1.2.840.10008.1.2.4.50)",
    });
    const video = await readPart10Header(videoPath);
    await expect(association.store(videoPath, video)).rejects.toMatchObject({
      code: "no-presentation-context", kind: "permanent", message: expect.stringMatching(/^archive does not accept Video Photographic Image .* in MPEG-4 AVC\/H\.264/),
    });
    expect(association.isOpen()).toBe(true);
    expect(await association.echo()).toEqual({ status: 0, statusKind: "success" });
    await association.release();
    expect(scp.receivedFiles()).toEqual([]);
  });

  it("a small maximum PDU (-pdu 4096) and bit-preserving storage (+B): large photo and video arrive byte for byte", async () => {
    scp = await startStorescp(["+xa", "+B", "-pdu", "4096"]);
    const outcomes = await cStoreFiles(target(scp), [{ path: large.absolutePath }, { path: videoPath }]);
    expect(outcomes.map((o) => o.detail)).toEqual(["0x0000 success", "0x0000 success"]);
    const video = await readPart10Header(videoPath);
    for (const [file, uid] of [[large.absolutePath, large.sopInstanceUid], [videoPath, video.sopInstanceUid]] as const) {
      const received = scp.receivedFiles().find((f) => f.includes(uid));
      expect(received, `storescp wrote ${uid}`).toBeDefined();
      expect(datasetOf(fs.readFileSync(path.join(scp.dir, received!))).equals(datasetOf(fs.readFileSync(file)))).toBe(true);
    }
  });

  it("no Nagle stall on our side: 20 C-STOREs to storescp (itself without Nagle) average well under the 40 ms delayed ACK", async () => {
    // A request split over two writes without TCP_NODELAY (or command and data in separate unbatched writes) waits for
    // storescp's delayed ACK, ~40 ms per C-STORE on Linux.
    scp = await startStorescp(["+xa"], { TCP_NODELAY: "1" });
    const association = await openAssociation(target(scp));
    await association.store(small[0]!.absolutePath, identity(small[0]!)); // warm-up
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      const f = small[i % small.length]!;
      expect((await association.store(f.absolutePath, identity(f))).statusKind).toBe("success");
    }
    const meanMs = (performance.now() - started) / 20;
    await association.release();
    expect(meanMs).toBeLessThan(20);
  });
});
