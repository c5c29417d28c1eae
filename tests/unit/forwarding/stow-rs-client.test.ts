import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMultipartBody } from "@/lib/forwarding/multipart-body";
import { stowInstances, type TStowFile } from "@/lib/forwarding/stow-rs-client";

type TRecorded = { method: string; url: string; rawHeaders: string[]; body: Buffer; socket: net.Socket };
type TAnswer = { status: number; body: unknown } | "hang";

/** A local DICOMweb stand-in that records each raw request and answers what the test queued. */
const startRecorder = async () => {
  const requests: TRecorded[] = [];
  const answers: TAnswer[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", rawHeaders: req.rawHeaders, body: Buffer.concat(chunks), socket: req.socket });
      const answer = answers.shift() ?? { status: 200, body: {} };
      if (answer === "hang") {
        return;
      }
      res.writeHead(answer.status, { "Content-Type": "application/dicom+json" });
      res.end(JSON.stringify(answer.body));
    });
  });
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;

  return { server, requests, answers, url: `http://127.0.0.1:${port}/dicom-web/`, connections: () => connections };
};

/** The value of a header as it arrived (raw, so duplicates and exact names would show). */
const headerValue = (r: TRecorded, name: string): string | undefined =>
  r.rawHeaders[r.rawHeaders.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === name) + 1];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-stow-unit-"));
const writeFile = (name: string, bytes: Buffer): TStowFile => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);

  return { path: p, sopInstanceUid: `2.25.${crypto.randomInt(1e9)}`, sopClassUid: "1.2.840.10008.5.1.4.1.1.77.1.4" };
};
// Three files: larger than the read buffer (several chunks), odd length, and one that contains "--" and CRLFs.
const big = writeFile("big.dcm", crypto.randomBytes(700_001));
const odd = writeFile("odd.dcm", crypto.randomBytes(1_001));
const tricky = writeFile("tricky.dcm", Buffer.from("DICM\r\n--\r\n--not-a-boundary\r\n\r\n", "latin1"));

let rec: Awaited<ReturnType<typeof startRecorder>>;
beforeAll(async () => {
  rec = await startRecorder();
});
afterEach(() => {
  rec.requests.length = 0;
  rec.answers.length = 0;
});
afterAll(async () => {
  rec.server.closeAllConnections();
  await new Promise((r) => rec.server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("stowInstances request", () => {
  it("POSTs <base>/studies with exact multipart/related framing, a correct Content-Length, no chunking, no Expect", async () => {
    const files = [big, odd, tricky];
    await stowInstances({ baseUrl: rec.url, files, timeoutMs: 5_000 });
    expect(rec.requests).toHaveLength(1);
    const r = rec.requests[0]!;
    expect(r.method).toBe("POST");
    expect(r.url).toBe("/dicom-web/studies");
    const names = r.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());
    const value = (name: string): string | undefined => headerValue(r, name);
    expect(names).not.toContain("expect");
    expect(names).not.toContain("transfer-encoding");
    expect(value("accept")).toBe("application/dicom+json");
    const contentType = value("content-type") ?? "";
    const boundary = /^multipart\/related; type="application\/dicom"; boundary=([A-Za-z0-9]+)$/.exec(contentType)?.[1];
    expect(boundary, contentType).toBeDefined();
    expect(Number(value("content-length"))).toBe(r.body.length);
    const part = (f: TStowFile): Buffer =>
      Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), fs.readFileSync(f.path)]);
    const expected = Buffer.concat([part(big), Buffer.from("\r\n"), part(odd), Buffer.from("\r\n"), part(tricky), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    expect(r.body.equals(expected)).toBe(true);
    expect(value("connection")).toBe("keep-alive");
  });

  it("reuses the keep-alive connection for the next request", async () => {
    const before = rec.connections();
    await stowInstances({ baseUrl: rec.url, files: [odd], timeoutMs: 5_000 });
    await stowInstances({ baseUrl: rec.url, files: [odd], timeoutMs: 5_000 });
    expect(rec.connections() - before).toBeLessThanOrEqual(1);
    expect(rec.requests[0]!.socket.remotePort).toBe(rec.requests[1]!.socket.remotePort);
  });

  it("computes the Content-Length it streams", async () => {
    const body = await createMultipartBody([big.path, odd.path, tricky.path], "b0undary");
    const chunks: Buffer[] = [];
    for await (const c of body.open()) {
      chunks.push(c as Buffer);
    }
    expect(Buffer.concat(chunks).length).toBe(body.contentLength);
    expect(chunks.length).toBeGreaterThan(4);
  });

  it("fails the stream rather than send fewer bytes than announced when a file shrinks", async () => {
    const shrinking = writeFile("shrinking.dcm", crypto.randomBytes(5_000));
    const body = await createMultipartBody([shrinking.path]);
    fs.truncateSync(shrinking.path, 100);
    const read = async (): Promise<void> => {
      for await (const _ of body.open()) {
        // drain
      }
    };
    await expect(read()).rejects.toThrow(/shrank/);
  });
});

describe("stowInstances response", () => {
  it("returns one result per instance from ReferencedSOPSequence and FailedSOPSequence", async () => {
    rec.answers.push({
      status: 202,
      body: {
        "00081199": { vr: "SQ", Value: [{ "00081155": { vr: "UI", Value: [odd.sopInstanceUid] }, "00081196": { vr: "US", Value: [0xb000] } }] },
        "00081198": { vr: "SQ", Value: [{ "00081155": { vr: "UI", Value: [tricky.sopInstanceUid] }, "00081197": { vr: "US", Value: [0xa700] } }] },
      },
    });
    const results = await stowInstances({ baseUrl: rec.url, files: [odd, tricky, big], timeoutMs: 5_000 });
    expect(results).toEqual([
      { sopInstanceUid: odd.sopInstanceUid, status: 202, referenced: true, warningReason: 0xb000, failed: false, failureReason: undefined },
      { sopInstanceUid: tricky.sopInstanceUid, status: 202, referenced: false, warningReason: undefined, failed: true, failureReason: 0xa700 },
      { sopInstanceUid: big.sopInstanceUid, status: 202, referenced: false, warningReason: undefined, failed: false, failureReason: undefined },
    ]);
  });

  it("reports a refused connection per instance instead of throwing", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((r) => closed.close(r));
    const [r] = await stowInstances({ baseUrl: `http://127.0.0.1:${port}/dicom-web`, files: [odd], timeoutMs: 1_000 });
    expect(r).toMatchObject({ status: null, referenced: false, failed: false });
    expect(r?.networkError).toMatch(/^ECONNREFUSED/);
  });

  it("gives up after the inactivity timeout when the server never answers", async () => {
    rec.answers.push("hang");
    const t0 = Date.now();
    const [r] = await stowInstances({ baseUrl: rec.url, files: [odd], timeoutMs: 300 });
    expect(r?.networkError).toMatch(/^ETIMEDOUT/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});
