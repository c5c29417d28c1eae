// @test-once-per-run: uses no database (DIMSE client against Orthanc); scripts/test.mjs runs it in the first database pass only.
/**
 * The DIMSE client against a real Orthanc: C-ECHO; C-STORE of photos (JPEG Baseline), an Explicit VR LE image and
 * an H.264 video on one association, each in its own transfer syntax; the data sets Orthanc keeps are byte for
 * byte the ones we sent.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUid } from "@/lib/dicom/uids";
import { wrapVideo } from "@/lib/dicom/wrap-video";
import { cStoreFiles } from "@/lib/forwarding/dimse/c-store-files";
import { openAssociation } from "@/lib/forwarding/dimse/dimse-client";
import { parsePart10Header, readPart10Header } from "@/lib/forwarding/dimse/part10-header";
import { makeDicomFiles } from "../../support/forwarding-fixtures";
import { startOrthanc, type TOrthanc } from "../../support/orthanc";
import { makeClip } from "../../support/video-corpus";
import { makeContext } from "../../unit/dicom/photo-fixtures";

const run = promisify(execFile);

/** The data set (bytes after group 0002) of a Part 10 buffer. */
const datasetOf = (bytes: Buffer): Buffer => bytes.subarray(parsePart10Header(bytes, bytes.length).datasetOffset);

/** From the Pixel Data element (7FE0,0010) OB to the end: the encapsulated video stream and its item framing. */
const pixelDataOf = (bytes: Buffer): Buffer => {
  const at = bytes.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42]));
  expect(at).toBeGreaterThan(0);

  return bytes.subarray(at);
};

/** An Explicit VR LE copy of a JPEG file with a new SOP Instance UID (dcmtk dcmdjpeg + dcmodify). */
const makeExplicitLittle = async (jpegFile: string, out: string): Promise<string> => {
  try {
    await run("dcmdjpeg", ["+te", jpegFile, out]);
    // dcmodify updates (0002,0003) with (0008,0018) unless told not to.
    await run("dcmodify", ["-nb", "-m", `SOPInstanceUID=${createUid()}`, out]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error("dcmdjpeg/dcmodify are not installed: apt-get install -y --no-install-recommends dcmtk");
    }
    throw err;
  }

  return out;
};

describe("DIMSE C-STORE / C-ECHO to Orthanc", () => {
  let orthanc: TOrthanc;
  let dir: string;
  const target = (): { host: string; port: number; callingAet: string; calledAet: string } =>
    ({ host: "127.0.0.1", port: orthanc.dicomPort, callingAet: "ENC_CAPTURE", calledAet: "ECTEST" });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimse-orthanc-"));
    orthanc = await startOrthanc();
  });
  afterAll(async () => {
    await orthanc?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("answers C-ECHO with status 0000 and releases the association", async () => {
    const association = await openAssociation(target());
    expect(association.accepts("1.2.840.10008.1.1", "1.2.840.10008.1.2")).toBe(true);
    expect(association.peerMaxPduLength).toBeGreaterThan(0);
    expect(await association.echo()).toEqual({ status: 0, statusKind: "success" });
    await association.release();
    expect(association.isOpen()).toBe(false);
  });

  it("stores JPEG photos, an Explicit VR LE image and an H.264 video on one association, data sets byte-identical", async () => {
    const photos = await makeDicomFiles(dir, 5, { subdir: "photos" });
    const explicit = await makeExplicitLittle(photos[0]!.absolutePath, path.join(dir, "explicit.dcm"));
    const context = makeContext({ modality: "XC" });
    context.instance.anatomicRegion = { code: "14975008", scheme: "SCT", meaning: "Forearm" };
    const video = await wrapVideo({ inputPath: makeClip(path.join(dir, "clip.mp4"), 1), outPath: path.join(dir, "video.dcm"), context });
    const files = [...photos.map((p) => p.absolutePath), explicit, path.join(dir, "video.dcm")];
    const headers = await Promise.all(files.map(readPart10Header));
    expect(headers.map((h) => h.transferSyntaxUid)).toEqual([
      ...photos.map(() => "1.2.840.10008.1.2.4.50"), "1.2.840.10008.1.2.1", video.transferSyntaxUid,
    ]);
    expect(video.transferSyntaxUid).toMatch(/^1\.2\.840\.10008\.1\.2\.4\.10[24]$/);

    const association = await openAssociation(target());
    const results = [];
    for (const [i, file] of files.entries()) {
      results.push(await association.store(file, headers[i]!));
    }
    await association.release();

    expect(results).toEqual(files.map(() => ({ status: 0, statusKind: "success" })));
    expect((await orthanc.listSopInstanceUids()).sort()).toEqual(headers.map((h) => h.sopInstanceUid).sort());
    for (const [i, file] of files.entries()) {
      const stored = await orthanc.getInstanceFile(headers[i]!.sopInstanceUid);
      const sent = fs.readFileSync(file);
      expect(parsePart10Header(stored, stored.length).transferSyntaxUid).toBe(headers[i]!.transferSyntaxUid);
      if (file.endsWith("video.dcm")) {
        // Orthanc (DCMTK) rewrites undefined-length sequences with explicit lengths; the video stream is untouched.
        // dimse-storescp.test.ts proves the whole data set arrives byte for byte (storescp +B).
        expect(pixelDataOf(stored).equals(pixelDataOf(sent)), "video Pixel Data").toBe(true);
      } else {
        expect(datasetOf(stored).equals(datasetOf(sent)), `data set of ${path.basename(file)}`).toBe(true);
      }
    }
  });

  it("cStoreFiles: identities from File Meta, one outcome per file; a second send of the same instance is accepted", async () => {
    const photos = await makeDicomFiles(dir, 3, { subdir: "batch" });
    const outcomes = await cStoreFiles(target(), photos.map((p) => ({ path: p.absolutePath })));
    expect(outcomes.map((o) => [o.sopInstanceUid, o.statusKind, o.status, o.detail])).toEqual(
      photos.map((p) => [p.sopInstanceUid, "success", 0, "0x0000 success"]));
    const again = await cStoreFiles(target(), [{ path: photos[0]!.absolutePath }]);
    expect(again.map((o) => o.statusKind)).toEqual(["success"]);
    const uids = await orthanc.listSopInstanceUids();
    expect(uids.filter((u) => u === photos[0]!.sopInstanceUid)).toHaveLength(1);
  });

  it("a file whose identity does not match its File Meta is refused before anything is sent (permanent)", async () => {
    const [photo] = await makeDicomFiles(dir, 1, { subdir: "mismatch" });
    const association = await openAssociation(target());
    const wrong = { sopClassUid: photo!.sopClassUid, sopInstanceUid: photo!.sopInstanceUid, transferSyntaxUid: "1.2.840.10008.1.2.1" };
    await expect(association.store(photo!.absolutePath, wrong)).rejects.toMatchObject({ code: "invalid-file", kind: "permanent" });
    expect(association.isOpen()).toBe(true);
    expect(await association.echo()).toEqual({ status: 0, statusKind: "success" });
    await association.release();
    expect(await orthanc.listSopInstanceUids()).not.toContain(photo!.sopInstanceUid);
  });
});
