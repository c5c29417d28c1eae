/**
 * STOW-RS client: one POST of Part 10 files to `<baseUrl>/studies` (PS3.18 §10.5 Store Transaction), with a
 * per-instance reading of the response (§10.5.3). Transport choices and why:
 * - explicit Content-Length, never chunked: Orthanc answered 200 to a chunked STOW and stored nothing;
 * - no `Expect: 100-continue`: Orthanc answers it only after a 1 s stall (node never adds the header itself);
 * - a keep-alive agent per scheme; node drops a pooled socket one second before the server's announced
 *   Keep-Alive timeout, so against Orthanc 1.10 (`Keep-Alive: timeout=1`) every request opens a new connection;
 * - a POST that fails on a reused socket before any response (the server closed it meanwhile) is sent once more
 *   on a new connection, as the node documentation advises; a repeated STOW of the same instance is harmless;
 * - the body is streamed from disk; `timeoutMs` bounds inactivity (no bytes either way), not the total time,
 *   so a large file on a slow link is not cut off while it is still moving.
 */
import http from "node:http";
import https from "node:https";
import { pipeline } from "node:stream/promises";
import { createMultipartBody, type TMultipartBody } from "./multipart-body";
import { parseStowResponse } from "./parse-stow-response";

export type TStowFile = { path: string; sopInstanceUid: string; sopClassUid: string };

/** What happened to one instance of a STOW-RS request. */
export type TStowInstanceResult = {
  sopInstanceUid: string;
  /** HTTP status of the response, or null when none arrived (refused, reset, timed out). */
  status: number | null;
  /** Why no response arrived, e.g. "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:8042". */
  networkError?: string;
  /** Listed in ReferencedSOPSequence (0008,1199). */
  referenced: boolean;
  /** WarningReason (0008,1196) of that item. */
  warningReason?: number;
  /** Listed in FailedSOPSequence (0008,1198). */
  failed: boolean;
  /** FailureReason (0008,1197) of that item. */
  failureReason?: number;
  /** The response's Retry-After header (429/503), as sent: delta-seconds or an HTTP-date. */
  retryAfter?: string;
};

export type TStowOptions = {
  /** DICOMweb base URL, e.g. http://pacs:8042/dicom-web (a trailing slash is ignored). */
  baseUrl: string;
  files: TStowFile[];
  /** Inactivity timeout, ms. */
  timeoutMs: number;
  /** Connection pool to use instead of the module's keep-alive agents. */
  agent?: http.Agent;
};

const HTTP_AGENT = new http.Agent({ keepAlive: true, maxSockets: 8 });
const HTTPS_AGENT = new https.Agent({ keepAlive: true, maxSockets: 8 });
/** Store responses are small; a larger body is not a STOW-RS response we can use. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

type TReply = { status: number; body: string; retryAfter?: string };
type TPostError = Error & { code?: string; reusedSocket?: boolean };

const describeError = (err: TPostError): string => (err.code ? `${err.code}: ${err.message}` : err.message);

const postOnce = (url: URL, body: TMultipartBody, timeoutMs: number, agent: http.Agent): Promise<TReply> =>
  new Promise((resolve, reject) => {
    const transport = url.protocol === "https:" ? https : http;
    const req = transport.request(url, {
      method: "POST",
      agent,
      headers: {
        "Content-Type": `multipart/related; type="application/dicom"; boundary=${body.boundary}`,
        Accept: "application/dicom+json",
        "Content-Length": String(body.contentLength),
      },
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy(Object.assign(new Error(`no progress for ${timeoutMs} ms`), { code: "ETIMEDOUT" }));
    });
    req.on("error", (err: TPostError) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          req.destroy(new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
        } else {
          chunks.push(chunk);
        }
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), retryAfter: res.headers["retry-after"] }));
      res.on("error", reject);
    });
    // pipeline ends the request after the last byte; a read error aborts it so the server never sees a short body.
    pipeline(body.open(), req).catch((err: Error) => req.destroy(err));
  });

/**
 * Send instances in one STOW-RS request and report, per instance, what the origin server said.
 * Never throws for network or HTTP failures (they come back per instance); throws only when a file cannot be
 * read before anything is sent.
 * @param options - base URL, files, inactivity timeout, optional agent
 * @returns one result per file, in the same order
 */
export const stowInstances = async ({ baseUrl, files, timeoutMs, agent }: TStowOptions): Promise<TStowInstanceResult[]> => {
  const url = new URL(`${baseUrl.replace(/\/+$/, "")}/studies`);
  const pool = agent ?? (url.protocol === "https:" ? HTTPS_AGENT : HTTP_AGENT);
  const body = await createMultipartBody(files.map((f) => f.path));
  let reply: TReply;
  try {
    try {
      reply = await postOnce(url, body, timeoutMs, pool);
    } catch (err) {
      const e = err as TPostError;
      if (!e.reusedSocket || (e.code !== "ECONNRESET" && e.code !== "EPIPE")) {
        throw err;
      }
      reply = await postOnce(url, body, timeoutMs, pool);
    }
  } catch (err) {
    const networkError = describeError(err as TPostError);

    return files.map((f) => ({ sopInstanceUid: f.sopInstanceUid, status: null, networkError, referenced: false, failed: false }));
  }
  const entries = parseStowResponse(reply.body);

  return files.map((f) => {
    const entry = entries.get(f.sopInstanceUid);

    return {
      sopInstanceUid: f.sopInstanceUid,
      status: reply.status,
      referenced: entry?.referenced ?? false,
      warningReason: entry?.warningReason,
      failed: entry?.failed ?? false,
      failureReason: entry?.failureReason,
      ...(reply.retryAfter ? { retryAfter: reply.retryAfter } : {}),
    };
  });
};
