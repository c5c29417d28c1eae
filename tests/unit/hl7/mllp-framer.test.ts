import { describe, expect, it } from "vitest";
import { frame, MllpFramer } from "@/lib/hl7/mllp-framer";

const msg = (n: number): Buffer => Buffer.from(`MSH|^~\\&|A|B|C|D|20240101||ADT^A01|C${n}|P|2.5.1\rPID|1||${n}\r`);
const text = (bufs: Buffer[]): string[] => bufs.map((b) => b.toString("latin1"));

describe("frame", () => {
  it("wraps a payload in VT … FS CR", () => {
    expect([...frame(Buffer.from("AB"))]).toEqual([0x0b, 0x41, 0x42, 0x1c, 0x0d]);
  });
});

describe("MllpFramer", () => {
  it("decodes one frame split into two chunks at every byte offset", () => {
    const wire = frame(msg(1));
    for (let cut = 0; cut <= wire.length; cut += 1) {
      const framer = new MllpFramer();
      const out = [...framer.push(wire.subarray(0, cut)), ...framer.push(wire.subarray(cut))];
      expect(text(out), `cut at ${cut}`).toEqual([msg(1).toString("latin1")]);
      expect(framer.discardedBytes, `cut at ${cut}`).toBe(0);
      expect(framer.inFrame).toBe(false);
    }
  });

  it("decodes two back-to-back frames split at every pair of offsets", () => {
    const wire = Buffer.concat([frame(msg(1)), frame(msg(2))]);
    for (let a = 0; a <= wire.length; a += 3) {
      for (let b = a; b <= wire.length; b += 5) {
        const framer = new MllpFramer();
        const out = [wire.subarray(0, a), wire.subarray(a, b), wire.subarray(b)].flatMap((c) => framer.push(c));
        expect(text(out)).toEqual(text([msg(1), msg(2)]));
        expect(framer.discardedBytes).toBe(0);
      }
    }
  });

  it("decodes one byte at a time", () => {
    const framer = new MllpFramer();
    const wire = frame(msg(7));
    const out = [...wire].flatMap((byte) => framer.push(Buffer.from([byte])));
    expect(text(out)).toEqual(text([msg(7)]));
  });

  it("returns many frames from one chunk, in order", () => {
    const wire = Buffer.concat(Array.from({ length: 200 }, (_, i) => frame(msg(i))));
    const out = new MllpFramer().push(wire);
    expect(out).toHaveLength(200);
    expect(text(out)).toEqual(text(Array.from({ length: 200 }, (_, i) => msg(i))));
  });

  it("discards and counts bytes outside frames (NULs, newlines, garbage)", () => {
    const junk1 = Buffer.from([0, 0, 0]);
    const junk2 = Buffer.from("\r\nhello");
    const framer = new MllpFramer();
    const out = framer.push(Buffer.concat([junk1, frame(msg(1)), junk2, frame(msg(2)), Buffer.from([0])]));
    expect(text(out)).toEqual(text([msg(1), msg(2)]));
    expect(framer.discardedBytes).toBe(junk1.length + junk2.length + 1);
  });

  it("consumes the CR after FS even when it arrives in the next chunk", () => {
    const framer = new MllpFramer();
    const wire = frame(msg(1));
    expect(framer.push(wire.subarray(0, wire.length - 1))).toHaveLength(1);
    expect(framer.push(Buffer.concat([Buffer.from([0x0d]), frame(msg(2))]))).toHaveLength(1);
    expect(framer.discardedBytes).toBe(0);
  });

  it("accepts FS without CR (lenient) and keeps going", () => {
    const framer = new MllpFramer();
    const wire = Buffer.concat([Buffer.from([0x0b]), msg(1), Buffer.from([0x1c]), frame(msg(2))]);
    expect(text(framer.push(wire))).toEqual(text([msg(1), msg(2)]));
  });

  it("restarts at a VT inside an open frame, discarding the partial one", () => {
    const framer = new MllpFramer();
    const partial = Buffer.concat([Buffer.from([0x0b]), Buffer.from("MSH|partial")]);
    const out = framer.push(Buffer.concat([partial, frame(msg(3))]));
    expect(text(out)).toEqual(text([msg(3)]));
    expect(framer.discardedBytes).toBe("MSH|partial".length);
  });

  it("returns an empty payload for an empty frame", () => {
    expect(new MllpFramer().push(Buffer.from([0x0b, 0x1c, 0x0d]))).toEqual([Buffer.alloc(0)]);
  });

  it("accepts a frame of exactly maxFrameBytes", () => {
    const framer = new MllpFramer({ maxFrameBytes: 100 });
    expect(framer.push(frame(Buffer.alloc(100, 0x41)))).toHaveLength(1);
    expect(framer.overflowed).toBe(false);
  });

  it("flags a frame larger than maxFrameBytes, drops it and ignores all later input", () => {
    const framer = new MllpFramer({ maxFrameBytes: 100 });
    const big = frame(Buffer.alloc(101, 0x41));
    const out = framer.push(big.subarray(0, 60));
    expect(out).toHaveLength(0);
    expect(framer.overflowed).toBe(false);
    expect(framer.push(big.subarray(60))).toHaveLength(0);
    expect(framer.overflowed).toBe(true);
    expect(framer.push(frame(Buffer.from("MSH|x")))).toHaveLength(0);
  });

  it("still returns the frames completed before the oversize one in the same chunk", () => {
    const framer = new MllpFramer({ maxFrameBytes: 100 });
    const out = framer.push(Buffer.concat([frame(Buffer.from("MSH|ok")), frame(Buffer.alloc(500, 0x41))]));
    expect(text(out)).toEqual(["MSH|ok"]);
    expect(framer.overflowed).toBe(true);
  });

  it("uses 1 MiB by default", () => {
    const framer = new MllpFramer();
    expect(framer.push(frame(Buffer.alloc(1024 * 1024, 0x41)))).toHaveLength(1);
    framer.push(frame(Buffer.alloc(1024 * 1024 + 1, 0x41)));
    expect(framer.overflowed).toBe(true);
  });
});
