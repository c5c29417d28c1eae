/**
 * The multipart/related body of a STOW-RS request (PS3.18 §10.5.1.1.1, framing per RFC 2046 §5.1.1), streamed
 * from the DICOM files on disk with its exact length known in advance: the request carries a Content-Length and
 * is never sent with chunked transfer encoding (Orthanc once answered 200 to a chunked STOW and stored nothing,
 * ImagingDataCommons/dicomweb-client#42).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { Readable } from "node:stream";

export type TMultipartBody = {
  /** The boundary, also needed in the Content-Type header. */
  boundary: string;
  /** Exact number of bytes the stream yields. */
  contentLength: number;
  /** A fresh stream of the body (each call reads the files again, e.g. for a retry on a new connection). */
  open: () => Readable;
};

const CRLF = "\r\n";

/** 32 random hex digits: a token (RFC 2045), so it needs no quoting, and it cannot plausibly occur in the data. */
export const newBoundary = (): string => `DICOMwebBoundary${crypto.randomBytes(16).toString("hex")}`;

/** The bytes in front of each DICOM object: the dash-boundary line and the part's headers. */
export const partHeader = (boundary: string): Buffer =>
  Buffer.from(`--${boundary}${CRLF}Content-Type: application/dicom${CRLF}${CRLF}`, "latin1");

/** The bytes after the last object: its CRLF, then the close-delimiter. */
export const closeDelimiter = (boundary: string): Buffer => Buffer.from(`${CRLF}--${boundary}--${CRLF}`, "latin1");

/** Between two objects: the CRLF that belongs to the next delimiter. */
const SEPARATOR = Buffer.from(CRLF, "latin1");

async function* readExactly(path: string, size: number): AsyncGenerator<Buffer> {
  let seen = 0;
  if (size > 0) {
    // end is inclusive; reading no further than `size` keeps the promised Content-Length even if the file grew.
    for await (const chunk of fs.createReadStream(path, { start: 0, end: size - 1, highWaterMark: 256 * 1024 })) {
      seen += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  if (seen !== size) {
    // Fewer bytes than announced: abort the request rather than send a short body.
    throw new Error(`file shrank while being sent (${seen} of ${size} bytes)`);
  }
}

/**
 * Describe the body for a list of files. Sizes are taken now; the files are opened only when a stream is read.
 * @param paths - absolute paths of Part 10 DICOM files, in the order they go into the body
 * @param boundary - the multipart boundary (a fresh random one by default)
 */
export const createMultipartBody = async (paths: string[], boundary: string = newBoundary()): Promise<TMultipartBody> => {
  if (paths.length === 0) {
    throw new Error("a STOW-RS request needs at least one instance");
  }
  const sizes = await Promise.all(paths.map(async (p) => (await fs.promises.stat(p)).size));
  const header = partHeader(boundary);
  const close = closeDelimiter(boundary);
  const contentLength =
    paths.length * header.length + sizes.reduce((a, b) => a + b, 0) + (paths.length - 1) * SEPARATOR.length + close.length;

  async function* generate(): AsyncGenerator<Buffer> {
    for (let i = 0; i < paths.length; i++) {
      if (i > 0) {
        yield SEPARATOR;
      }
      yield header;
      yield* readExactly(paths[i] as string, sizes[i] as number);
    }
    yield close;
  }

  return { boundary, contentLength, open: () => Readable.from(generate(), { objectMode: false }) };
};
