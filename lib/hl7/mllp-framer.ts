/**
 * MLLP framing (HL7 v2.5.1 Appendix C): `<VT 0x0B> message <FS 0x1C><CR 0x0D>`.
 *
 * Design: a byte-level state machine, independent of sockets so it can be tested at every split offset.
 * - TCP delivers arbitrary chunks: a frame may span many reads, and one read may carry many frames
 *   (reliability-matrix §1.1). Partial payload is kept as a list of slices and joined once, at FS.
 * - Bytes outside a frame (NULs between frames, stray CR/LF, garbage) are discarded and counted, so the server can
 *   log once per connection rather than once per byte.
 * - A VT inside an open frame means the sender restarted a message: the partial payload is discarded (counted) and
 *   a new frame starts. VT cannot occur in HL7 text.
 * - FS ends the frame; the CR after it is consumed when present (also when it arrives in the next chunk). An FS
 *   followed by another byte is accepted as an end too (lenient: some senders omit the CR).
 * - A payload larger than maxFrameBytes sets `overflowed`: the buffered part is dropped at once and every later
 *   byte is ignored. The server must close the connection.
 */

export const MLLP_VT = 0x0b;
export const MLLP_FS = 0x1c;
export const MLLP_CR = 0x0d;
/** Default cap on one frame's payload (reliability-matrix §1.1 proposal: 1 MiB; ADT rarely exceeds 20 KB). */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/**
 * Wrap a payload in an MLLP frame (one Buffer, so it can go out in one socket write).
 * @param payload - the HL7 message bytes, segments separated by CR
 */
export const frame = (payload: Buffer): Buffer => {
  const out = Buffer.allocUnsafe(payload.length + 3);
  out[0] = MLLP_VT;
  payload.copy(out, 1);
  out[payload.length + 1] = MLLP_FS;
  out[payload.length + 2] = MLLP_CR;

  return out;
};

/** Incremental MLLP decoder: `push()` chunks as they arrive, get back the complete payloads. */
export class MllpFramer {
  private readonly maxFrameBytes: number;
  /** Slices of the open frame's payload (undefined while outside a frame). */
  private parts: Buffer[] | undefined;
  private partBytes = 0;
  /** The previous chunk ended right after an FS: a leading CR in the next chunk belongs to that frame. */
  private afterFs = false;
  private discarded = 0;
  private over = false;

  /**
   * @param options - maxFrameBytes: largest accepted payload (default 1 MiB)
   */
  constructor(options: { maxFrameBytes?: number } = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** True once a frame exceeded maxFrameBytes; the decoder then ignores all input. */
  get overflowed(): boolean {
    return this.over;
  }

  /** Bytes discarded so far (outside frames, or abandoned partial frames). */
  get discardedBytes(): number {
    return this.discarded;
  }

  /** Whether a frame has started and not yet ended (useful to tell a clean close from a truncated one). */
  get inFrame(): boolean {
    return this.parts !== undefined;
  }

  /**
   * Feed one chunk.
   * @param chunk - bytes as read from the socket
   * @returns the payloads (without VT/FS/CR) of every frame completed by this chunk, in order
   */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    if (this.afterFs && chunk.length > 0) {
      this.afterFs = false;
      if (chunk[0] === MLLP_CR) {
        i = 1;
      }
    }
    while (i < chunk.length && !this.over) {
      i = this.parts === undefined ? this.seekStart(chunk, i) : this.collect(chunk, i, out);
    }

    return out;
  }

  /** Outside a frame: skip (and count) bytes up to the next VT. Returns the next index to read. */
  private seekStart(chunk: Buffer, from: number): number {
    const vt = chunk.indexOf(MLLP_VT, from);
    if (vt < 0) {
      this.discarded += chunk.length - from;

      return chunk.length;
    }
    this.discarded += vt - from;
    this.parts = [];
    this.partBytes = 0;

    return vt + 1;
  }

  /** Inside a frame: take bytes up to FS (or a restarting VT). Returns the next index to read. */
  private collect(chunk: Buffer, from: number, out: Buffer[]): number {
    const fs = chunk.indexOf(MLLP_FS, from);
    const vt = chunk.indexOf(MLLP_VT, from);
    if (vt >= 0 && (fs < 0 || vt < fs)) {
      // A new VT before the end of this frame: abandon the partial frame, start over at the VT.
      this.discarded += this.partBytes + (vt - from);
      this.parts = undefined;

      return vt;
    }
    const parts = this.append(chunk.subarray(from, fs < 0 ? chunk.length : fs));
    if (parts === undefined || fs < 0) {
      return chunk.length;
    }
    // Copy even a single slice, so a small message does not pin a large socket chunk in memory.
    out.push(Buffer.concat(parts, this.partBytes));
    this.parts = undefined;
    if (fs + 1 >= chunk.length) {
      this.afterFs = true;

      return chunk.length;
    }

    return chunk[fs + 1] === MLLP_CR ? fs + 2 : fs + 1;
  }

  /** Add a slice to the open frame; returns its parts, or undefined (and overflowed) past the cap. */
  private append(slice: Buffer): Buffer[] | undefined {
    const parts = this.parts;
    if (parts === undefined || this.partBytes + slice.length > this.maxFrameBytes) {
      this.over = true;
      this.discarded += this.partBytes + slice.length;
      this.parts = undefined;
      this.partBytes = 0;

      return undefined;
    }
    if (slice.length > 0) {
      parts.push(slice);
      this.partBytes += slice.length;
    }

    return parts;
  }
}
