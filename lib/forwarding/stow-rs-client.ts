/**
 * STOW-RS client: one POST of Part 10 files to `<baseUrl>/studies` (PS3.18 §10.5 Store Transaction), with a
 * per-instance reading of the response (§10.5.3). Transport choices and why:
 * - explicit Content-Length, never chunked: Orthanc answered 200 to a chunked STOW and stored nothing;
 * - no `Expect: 100-continue`: Orthanc answers it only after a 1 s stall (node never adds the header itself);
 * - a keep-alive agent per destination (stow-transport.ts; a module-wide one per scheme when none is given); node drops a pooled socket one second before the server's announced
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
import { describeNetworkError } from "./stow-transport";

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
  /** Extra request headers (Authorization: never logged). */
  headers?: Record<string, string>;
  /** Told about bytes sent and round trips, for the parallelism controller (adaptive-parallelism.ts). */
  observer?: TTransferObserver;
};

/** Progress of a transfer: body bytes as they are handed to the socket, and the wait for the answer. */
export type TTransferObserver = {
  onBytes?: (bytes: number) => void;
  /** ms from the last body byte to the response head. */
  onRoundTrip?: (ms: number) => void;
};

const HTTP_AGENT = new http.Agent({ keepAlive: true, maxSockets: 8 });
const HTTPS_AGENT = new https.Agent({ keepAlive: true, maxSockets: 8 });
/** Store responses are small; a larger body is not a STOW-RS response we can use. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

type TReply = { status: number; body: string; retryAfter?: string };
type TPostError = Error & { code?: string; reusedSocket?: boolean };

type TPost = { url: URL; body: TMultipartBody; timeoutMs: number; agent: http.Agent; headers?: Record<string, string>; observer?: TTransferObserver };

const postOnce = ({ url, body, timeoutMs, agent, headers, observer }: TPost): Promise<TReply> =>
  new Promise((resolve, reject) => {
    const transport = url.protocol === "https:" ? https : http;
    const req = transport.request(url, {
      method: "POST",
      agent,
      headers: {
        ...headers,
        "Content-Type": `multipart/related; type="application/dicom"; boundary=${body.boundary}`,
        Accept: "application/dicom+json",
        "Content-Length": String(body.contentLength),
      },
    });
    let sentAt = 0;
    req.on("finish", () => (sentAt = performance.now()));
    req.setTimeout(timeoutMs, () => {
      req.destroy(Object.assign(new Error(`no progress for ${timeoutMs} ms`), { code: "ETIMEDOUT" }));
    });
    req.on("error", (err: TPostError) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
    req.on("response", (res) => {
      if (sentAt > 0) {
        observer?.onRoundTrip?.(performance.now() - sentAt);
      }
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
    const stream = body.open();
    if (observer?.onBytes) {
      const onBytes = observer.onBytes;
      stream.on("data", (chunk: Buffer) => onBytes(chunk.length));
    }
    pipeline(stream, req).catch((err: Error) => req.destroy(err));
  });

/**
 * Send instances in one STOW-RS request and report, per instance, what the origin server said.
 * Never throws for network or HTTP failures (they come back per instance); throws only when a file cannot be
 * read before anything is sent.
 * @param options - base URL, files, inactivity timeout, optional agent
 * @returns one result per file, in the same order
 */
export const stowInstances = async ({ baseUrl, files, timeoutMs, agent, headers, observer }: TStowOptions): Promise<TStowInstanceResult[]> => {
  const url = new URL(`${baseUrl.replace(/\/+$/, "")}/studies`);
  const pool = agent ?? (url.protocol === "https:" ? HTTPS_AGENT : HTTP_AGENT);
  const body = await createMultipartBody(files.map((f) => f.path));
  const post: TPost = { url, body, timeoutMs, agent: pool, headers, observer };
  let reply: TReply;
  try {
    try {
      reply = await postOnce(post);
    } catch (err) {
      const e = err as TPostError;
      if (!e.reusedSocket || (e.code !== "ECONNRESET" && e.code !== "EPIPE")) {
        throw err;
      }
      reply = await postOnce(post);
    }
  } catch (err) {
    const networkError = describeNetworkError(err as TPostError);

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
