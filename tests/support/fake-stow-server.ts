/**
 * A scripted STOW-RS / QIDO-RS origin server (node:http on 127.0.0.1) for the exact status codes Orthanc cannot be
 * made to produce: partial 202s, WarningReason, 409/413/415/401/403, 429/503 with Retry-After, a connection reset
 * in the middle of the request body, a server that never answers, a 200 that does not list the instance.
 * Everything else is tested against a real Orthanc.
 *
 * One server serves several "archives": the first path segment names the scenario, so a destination URL is
 * `${server.urlFor("name")}` = http://127.0.0.1:<port>/name/dicom-web. Each scenario's `stow` function gets the
 * SOP Instance UIDs of the request (read from the (0008,0018) elements of the multipart body, in order) and the
 * number of the request for that scenario (1, 2, …), and returns what to answer.
 */
import http from "node:http";
import type net from "node:net";

export type TStowAnswer =
  | {
      status: number;
      /** UIDs to list in ReferencedSOPSequence, with an optional WarningReason each. */
      referenced?: { uid: string; warning?: number }[];
      /** UIDs to list in FailedSOPSequence, with an optional FailureReason each. */
      failed?: { uid: string; reason?: number }[];
      headers?: Record<string, string>;
      /** A raw body instead of the DICOM JSON one. */
      body?: string;
      delayMs?: number;
    }
  /** Read the request and never answer. */
  | { action: "hang" };

export type TScenario = {
  stow: (uids: string[], requestNumber: number) => TStowAnswer;
  /** Destroy the connection after the first chunk of this request's body (no response at all). */
  resetMidBody?: (requestNumber: number) => boolean;
  /**
   * QIDO-RS `GET …/instances?SOPInstanceUID=`: "stored" lists the instance when an earlier answer referenced it
   * (default), "empty" always answers an empty array.
   */
  qido?: "stored" | "empty";
  /** Scan the body for SOP Instance UIDs as it streams in and keep none of it (a sink for gigabytes, benchmarks). */
  discardBody?: boolean;
};

export type TStowRequestLog = { scenario: string; at: number; uids: string[]; bytes: number };

export type TFakeStowServer = {
  urlFor: (scenario: string) => string;
  /** Every STOW-RS request, in arrival order. */
  requests: TStowRequestLog[];
  /** Every QIDO-RS query: scenario and the SOPInstanceUID asked for. */
  queries: { scenario: string; uid: string }[];
  close: () => Promise<void>;
};

/** (0008,0018) SOP Instance UID, explicit VR little endian: tag bytes, "UI", 2-byte length. */
const SOP_INSTANCE_UID_TAG = Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49]);

/**
 * The SOP Instance UIDs of a multipart body, in order: the values of its (0008,0018) elements. The body may arrive in
 * chunks; only a short overlap is kept between them (an element may straddle two), so memory stays flat whatever
 * the body's size.
 */
const uidScanner = (): { push: (chunk: Buffer) => void; uids: string[] } => {
  const uids: string[] = [];
  const KEEP = 8 + 64; // tag + VR + length + the longest UID
  let carry = Buffer.alloc(0);
  /** UIDs of elements that start in `buf` before `limit`; the end of the last complete one (or -1). */
  const scan = (buf: Buffer, limit: number): number => {
    let done = -1;
    for (let at = buf.indexOf(SOP_INSTANCE_UID_TAG); at >= 0 && at < limit; at = buf.indexOf(SOP_INSTANCE_UID_TAG, at + 1)) {
      if (at + 8 > buf.length || at + 8 + buf.readUInt16LE(at + 6) > buf.length) {
        break; // incomplete: found again once the next chunk is joined to it
      }
      const length = buf.readUInt16LE(at + 6);
      uids.push(buf.subarray(at + 8, at + 8 + length).toString("latin1").replace(/[\0 ]+$/, ""));
      done = at + 8 + length;
    }

    return done;
  };

  return {
    uids,
    push: (chunk) => {
      let from = 0;
      if (carry.length > 0) {
        // Elements starting in the carried tail (straddling the two chunks), without copying the whole chunk.
        const joint = Buffer.concat([carry, chunk.subarray(0, KEEP)]);
        const end = scan(joint, carry.length);
        from = Math.max(0, end - carry.length);
      }
      const tail = chunk.subarray(from);
      const end = scan(tail, tail.length);
      carry = Buffer.from(tail.subarray(Math.max(end, tail.length - KEEP + 1, 0)));
    },
  };
};

/** The SOP Instance UIDs of a whole body (the same scan, in one go). */
const sopInstanceUids = (body: Buffer): string[] => {
  const scanner = uidScanner();
  scanner.push(body);

  return scanner.uids;
};

const item = (uid: string, tag: string, code?: number): Record<string, unknown> => ({
  "00081150": { vr: "UI", Value: ["1.2.840.10008.5.1.4.1.1.77.1.4"] },
  "00081155": { vr: "UI", Value: [uid] },
  ...(code === undefined ? {} : { [tag]: { vr: "US", Value: [code] } }),
});

/** Start the server with its scenarios (more can be added later through the returned map). */
export const startFakeStowServer = async (scenarios: Record<string, TScenario>): Promise<TFakeStowServer & { scenarios: Record<string, TScenario> }> => {
  const requests: TStowRequestLog[] = [];
  const queries: TFakeStowServer["queries"] = [];
  const stored = new Map<string, Set<string>>();
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const name = url.pathname.split("/")[1] ?? "";
    const scenario = scenarios[name];
    if (!scenario) {
      res.writeHead(404).end();
      return;
    }
    if (req.method === "GET" && url.pathname.endsWith("/instances")) {
      const uid = url.searchParams.get("SOPInstanceUID") ?? "";
      queries.push({ scenario: name, uid });
      const found = (scenario.qido ?? "stored") === "stored" && stored.get(name)?.has(uid);
      res.writeHead(200, { "Content-Type": "application/dicom+json" });
      res.end(JSON.stringify(found ? [{ "00080018": { vr: "UI", Value: [uid] } }] : []));
      return;
    }
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    const chunks: Buffer[] = [];
    let received = 0;
    const reset = scenario.resetMidBody?.(n) ?? false;
    const scanner = scenario.discardBody ? uidScanner() : undefined;
    req.on("data", (c: Buffer) => {
      if (scanner) {
        scanner.push(c);
      } else {
        chunks.push(c);
      }
      received += c.length;
      if (reset && !req.socket.destroyed) {
        requests.push({ scenario: name, at: Date.now(), uids: sopInstanceUids(Buffer.concat(chunks)), bytes: received });
        req.socket.destroy();
      }
    });
    req.on("end", () => {
      if (reset) {
        return;
      }
      const body = Buffer.concat(chunks);
      const uids = scanner ? scanner.uids : sopInstanceUids(body);
      requests.push({ scenario: name, at: Date.now(), uids, bytes: received });
      const reply = scenario.stow(uids, n);
      if ("action" in reply) {
        // hang: keep the socket open, answer nothing
        return;
      }
      const send = (): void => {
        for (const r of reply.referenced ?? []) {
          if (reply.status >= 200 && reply.status < 300) {
            stored.set(name, (stored.get(name) ?? new Set()).add(r.uid));
          }
        }
        const json = {
          "00081190": { vr: "UR", Value: [`http://127.0.0.1/${name}/dicom-web/studies/1`] },
          ...(reply.referenced ? { "00081199": { vr: "SQ", Value: reply.referenced.map((r) => item(r.uid, "00081196", r.warning)) } } : {}),
          ...(reply.failed ? { "00081198": { vr: "SQ", Value: reply.failed.map((f) => item(f.uid, "00081197", f.reason)) } } : {}),
        };
        res.writeHead(reply.status, { "Content-Type": "application/dicom+json", ...reply.headers });
        res.end(reply.body ?? JSON.stringify(json));
      };
      if (reply.delayMs) {
        setTimeout(send, reply.delayMs);
      } else {
        send();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    scenarios,
    urlFor: (scenario) => `http://127.0.0.1:${port}/${scenario}/dicom-web`,
    requests,
    queries,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

/** 200 listing every UID (what a healthy archive answers). */
export const storeAll = (uids: string[]): TStowAnswer => ({ status: 200, referenced: uids.map((uid) => ({ uid })) });
