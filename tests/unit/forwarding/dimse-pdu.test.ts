import { describe, expect, it } from "vitest";
import { decodeCommand, encodeCEchoRq, encodeCStoreRq, encodeResponse } from "@/lib/forwarding/dimse/command-set";
import { buildPresentationContexts, DEFAULT_STORAGE_PAIRS } from "@/lib/forwarding/dimse/contexts";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openPart10, parsePart10Header } from "@/lib/forwarding/dimse/part10-header";
import {
  decodePdu, encodeAbort, encodeAssociateAc, encodeAssociateRj, encodeAssociateRq, encodePData, encodeReleaseRq, PduFormatError, PduReader, type TAssociateRq,
} from "@/lib/forwarding/dimse/pdu";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "@/lib/dicom/uids";

const RQ: TAssociateRq = {
  calledAet: "ARCHIVE",
  callingAet: "ENC_CAPTURE",
  contexts: buildPresentationContexts([{ sopClassUid: "1.2.840.10008.5.1.4.1.1.77.1.4", transferSyntaxUid: "1.2.840.10008.1.2.4.50" }]),
  maxPduLength: 65_536,
  implementationClassUid: IMPLEMENTATION_CLASS_UID,
  implementationVersionName: IMPLEMENTATION_VERSION_NAME,
};

/** An A-ASSOCIATE-AC as an acceptor would build it (PS3.8 §9.3.3), from parts. */
const acceptPdu = (contexts: { id: number; result: number; ts: string }[], maxPdu: number): Buffer => {
  const item = (type: number, value: Buffer): Buffer => {
    const h = Buffer.alloc(4);
    h[0] = type;
    h.writeUInt16BE(value.length, 2);
    return Buffer.concat([h, value]);
  };
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0);
  Buffer.from("ARCHIVE".padEnd(16)).copy(fixed, 4);
  Buffer.from("ENC_CAPTURE".padEnd(16)).copy(fixed, 20);
  const max = Buffer.alloc(4);
  max.writeUInt32BE(maxPdu, 0);
  const body = Buffer.concat([
    fixed,
    item(0x10, Buffer.from("1.2.840.10008.3.1.1.1")),
    ...contexts.map((c) => item(0x21, Buffer.concat([Buffer.from([c.id, 0, c.result, 0]), item(0x40, Buffer.from(c.ts))]))),
    item(0x50, Buffer.concat([item(0x51, max), item(0x52, Buffer.from("1.2.3.4")), item(0x55, Buffer.from("PEER_1"))])),
  ]);
  const head = Buffer.alloc(6);
  head[0] = 0x02;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
};

describe("A-ASSOCIATE-RQ encoding (PS3.8 §9.3.2)", () => {
  it("writes the fixed fields, application context, one context per pair and the user information", () => {
    const pdu = encodeAssociateRq(RQ);
    expect(pdu[0]).toBe(0x01);
    expect(pdu.readUInt32BE(2)).toBe(pdu.length - 6);
    expect(pdu.readUInt16BE(6)).toBe(1); // protocol version
    expect(pdu.toString("latin1", 10, 26)).toBe("ARCHIVE         ");
    expect(pdu.toString("latin1", 26, 42)).toBe("ENC_CAPTURE     ");
    expect(pdu.subarray(42, 74).equals(Buffer.alloc(32))).toBe(true);
    const decoded = decodePdu(pdu[0]!, pdu.subarray(6));
    expect(decoded).toEqual({ type: "associate-rq", rq: { ...RQ, contexts: [
      { id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] },
      { id: 3, abstractSyntax: "1.2.840.10008.5.1.4.1.1.77.1.4", transferSyntaxes: ["1.2.840.10008.1.2.4.50"] },
    ] } });
    expect(pdu.includes(Buffer.from("1.2.840.10008.3.1.1.1"))).toBe(true);
  });

  it("refuses AE titles that are empty, longer than 16 characters or contain a backslash", () => {
    expect(() => encodeAssociateRq({ ...RQ, calledAet: "" })).toThrow(/not a valid AE title/);
    expect(() => encodeAssociateRq({ ...RQ, calledAet: "A".repeat(17) })).toThrow(/not a valid AE title/);
    expect(() => encodeAssociateRq({ ...RQ, callingAet: "A\\B" })).toThrow(/not a valid AE title/);
  });

  it("proposes Verification first and every default pair with odd IDs, within the 128-context limit", () => {
    const contexts = buildPresentationContexts(DEFAULT_STORAGE_PAIRS);
    expect(contexts[0]).toEqual({ id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] });
    expect(contexts).toHaveLength(DEFAULT_STORAGE_PAIRS.length + 1);
    expect(contexts.every((c, i) => c.id === 2 * i + 1 && c.transferSyntaxes.length === 1)).toBe(true);
    const tooMany = Array.from({ length: 128 }, (_, i) => ({ sopClassUid: `1.2.3.${i}`, transferSyntaxUid: "1.2.840.10008.1.2.1" }));
    expect(() => buildPresentationContexts(tooMany)).toThrow(/at most 128/);
  });
});

describe("decoding what an acceptor sends", () => {
  it("A-ASSOCIATE-AC: per-context result and transfer syntax, the peer's max PDU and implementation", () => {
    const ac = acceptPdu([{ id: 1, result: 0, ts: "1.2.840.10008.1.2" }, { id: 3, result: 4, ts: "1.2.840.10008.1.2" }], 16_384);
    const [pdu] = new PduReader(65_536).push(ac);
    expect(pdu).toEqual({ type: "associate-ac", ac: {
      calledAet: "ARCHIVE", callingAet: "ENC_CAPTURE", applicationContext: "1.2.840.10008.3.1.1.1", maxPduLength: 16_384,
      implementationClassUid: "1.2.3.4", implementationVersionName: "PEER_1",
      contexts: [{ id: 1, result: 0, transferSyntax: "1.2.840.10008.1.2" }, { id: 3, result: 4, transferSyntax: "1.2.840.10008.1.2" }],
    } });
  });

  it("A-ASSOCIATE-AC round trip through encodeAssociateAc, equal to the hand-built PDU", () => {
    const ac = {
      calledAet: "ARCHIVE", callingAet: "ENC_CAPTURE", applicationContext: "1.2.840.10008.3.1.1.1", maxPduLength: 16_384,
      implementationClassUid: "1.2.3.4", implementationVersionName: "PEER_1",
      contexts: [{ id: 1, result: 0, transferSyntax: "1.2.840.10008.1.2" }, { id: 3, result: 4, transferSyntax: "1.2.840.10008.1.2" }],
    };
    const encoded = encodeAssociateAc(ac);
    expect(encoded.equals(acceptPdu([{ id: 1, result: 0, ts: "1.2.840.10008.1.2" }, { id: 3, result: 4, ts: "1.2.840.10008.1.2" }], 16_384))).toBe(true);
    expect(new PduReader(65_536).push(encoded)).toEqual([{ type: "associate-ac", ac }]);
  });

  it("A-ASSOCIATE-RJ, A-ABORT, A-RELEASE-RP", () => {
    expect(new PduReader(64).push(encodeAssociateRj(2, 3, 1))).toEqual([{ type: "associate-rj", result: 2, source: 3, reason: 1 }]);
    expect(decodePdu(0x03, Buffer.from([0, 1, 1, 7]))).toEqual({ type: "associate-rj", result: 1, source: 1, reason: 7 });
    const abort = encodeAbort(2, 6);
    expect([...abort]).toEqual([0x07, 0, 0, 0, 0, 4, 0, 0, 2, 6]);
    expect(decodePdu(0x07, abort.subarray(6))).toEqual({ type: "abort", source: 2, reason: 6 });
    expect([...encodeReleaseRq()]).toEqual([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
    expect(decodePdu(0x06, Buffer.alloc(4))).toEqual({ type: "release-rp" });
  });

  it("P-DATA-TF round trip: PDV length, context ID, command and last-fragment bits", () => {
    const data = Buffer.from("fragment!");
    const pdu = encodePData({ contextId: 5, isCommand: false, isLast: true, data });
    expect(pdu.readUInt32BE(2)).toBe(data.length + 6);
    expect(pdu.readUInt32BE(6)).toBe(data.length + 2);
    expect(pdu[11]).toBe(0x02);
    expect(new PduReader(1024).push(pdu)).toEqual([{ type: "p-data", pdvs: [{ contextId: 5, isCommand: false, isLast: true, data }] }]);
    expect(encodePData({ contextId: 1, isCommand: true, isLast: false, data })[11]).toBe(0x01);
  });

  it("reassembles PDUs split across reads and several PDUs in one read", () => {
    const a = encodePData({ contextId: 1, isCommand: true, isLast: true, data: Buffer.from("ab") });
    const b = encodeReleaseRq();
    const both = Buffer.concat([a, b]);
    const reader = new PduReader(1024);
    const got = [...both].flatMap((byte) => reader.push(Buffer.from([byte])));
    expect(got.map((p) => p.type)).toEqual(["p-data", "release-rq"]);
    expect(new PduReader(1024).push(both).map((p) => p.type)).toEqual(["p-data", "release-rq"]);
  });

  it("refuses an oversize declared length before buffering the body, and malformed PDUs", () => {
    const huge = Buffer.from([0x04, 0, 0xff, 0xff, 0xff, 0xf0]);
    expect(() => new PduReader(65_536).push(huge)).toThrow(/4294967280 bytes, above the 65536-byte limit/);
    expect(() => decodePdu(0x09, Buffer.alloc(4))).toThrow(PduFormatError);
    expect(() => decodePdu(0x04, Buffer.from([0, 0, 0, 9, 1, 3]))).toThrow(/does not fit/);
    expect(() => decodePdu(0x04, Buffer.alloc(0))).toThrow(/without a PDV/);
    expect(() => decodePdu(0x07, Buffer.alloc(3))).toThrow(/not 4/);
    expect(() => decodePdu(0x02, Buffer.alloc(10))).toThrow(/shorter than its 68 fixed bytes/);
  });
});

describe("DIMSE command sets (PS3.7 §9.3, Implicit VR LE)", () => {
  it("C-STORE-RQ: group length first, ascending tags, UIDs padded to even length with NUL", () => {
    const bytes = encodeCStoreRq({ messageId: 7, sopClassUid: "1.2.840.10008.5.1.4.1.1.77.1.4", sopInstanceUid: "2.25.1234" });
    expect(bytes.readUInt16LE(0)).toBe(0x0000);
    expect(bytes.readUInt16LE(2)).toBe(0x0000);
    expect(bytes.readUInt32LE(8)).toBe(bytes.length - 12);
    const tags: number[] = [];
    for (let at = 0; at < bytes.length; at += 8 + bytes.readUInt32LE(at + 4)) {
      tags.push(bytes.readUInt16LE(at + 2));
    }
    expect(tags).toEqual([0x0000, 0x0002, 0x0100, 0x0110, 0x0700, 0x0800, 0x1000]);
    expect(bytes.includes(Buffer.from("2.25.1234\0"))).toBe(true);
    expect(decodeCommand(bytes)).toMatchObject({
      commandField: 0x0001, messageId: 7, dataSetType: 0x0000, sopClassUid: "1.2.840.10008.5.1.4.1.1.77.1.4", sopInstanceUid: "2.25.1234",
    });
  });

  it("C-ECHO-RQ has no data set; a response's status and error comment decode", () => {
    expect(decodeCommand(encodeCEchoRq(1))).toMatchObject({ commandField: 0x0030, messageId: 1, dataSetType: 0x0101, sopClassUid: "1.2.840.10008.1.1" });
    const rsp = encodeResponse({ commandField: 0x8001, messageIdBeingRespondedTo: 9, status: 0xa700, errorComment: "disk full" });
    expect(decodeCommand(rsp)).toMatchObject({ commandField: 0x8001, messageIdBeingRespondedTo: 9, status: 0xa700, errorComment: "disk full" });
    expect(() => decodeCommand(rsp.subarray(0, rsp.length - 3))).toThrow(/runs past the end/);
  });
});

describe("Part 10 header", () => {
  const meta = (elements: [number, string, string][]): Buffer => {
    const parts = elements.map(([el, vr, value]) => {
      const v = Buffer.from(value.length % 2 ? value + "\0" : value, "latin1");
      const h = Buffer.alloc(8);
      h.writeUInt16LE(2, 0);
      h.writeUInt16LE(el, 2);
      h.write(vr, 4, "latin1");
      h.writeUInt16LE(v.length, 6);
      return Buffer.concat([h, v]);
    });
    return Buffer.concat([Buffer.alloc(128), Buffer.from("DICM"), ...parts]);
  };

  it("finds the first element after group 0002 and the UIDs of the File Meta Information", () => {
    const head = meta([[0x0002, "UI", "1.2.3"], [0x0003, "UI", "2.25.9"], [0x0010, "UI", "1.2.840.10008.1.2.1"]]);
    const dataset = Buffer.from([0x08, 0x00, 0x16, 0x00, 0x55, 0x49, 0x02, 0x00, 0x31, 0x00]);
    const file = Buffer.concat([head, dataset]);
    expect(parsePart10Header(file, file.length)).toEqual({
      datasetOffset: head.length, size: file.length, sopClassUid: "1.2.3", sopInstanceUid: "2.25.9", transferSyntaxUid: "1.2.840.10008.1.2.1",
    });
  });

  it("refuses a file without DICM or without a transfer syntax, as a permanent error", () => {
    expect(() => parsePart10Header(Buffer.alloc(200), 200)).toThrow(/no "DICM"/);
    const noTs = meta([[0x0002, "UI", "1.2.3"], [0x0003, "UI", "2.25.9"]]);
    expect(() => parsePart10Header(noTs, noTs.length)).toThrow(expect.objectContaining({ code: "invalid-file", kind: "permanent" }));
  });

  it("openPart10 hands out the data set in PDU-sized pieces exactly, across its 1 MiB read windows", async () => {
    const head = meta([[0x0002, "UI", "1.2.3"], [0x0003, "UI", "2.25.9"], [0x0010, "UI", "1.2.840.10008.1.2.1"]]);
    const dataset = crypto.randomBytes(3 * 1024 * 1024 + 12_345);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-part10-"));
    const file = path.join(dir, "big.dcm");
    fs.writeFileSync(file, Buffer.concat([head, dataset]));
    try {
      const reader = await openPart10(file);
      expect(reader.header.size - reader.header.datasetOffset).toBe(dataset.length);
      const copy = Buffer.alloc(dataset.length + 6);
      // 16 KiB less a PDU header, as the sender cuts them: pieces straddle every window boundary.
      const piece = 16_378;
      for (let at = 0; at < dataset.length; at += piece) {
        await reader.fill(copy, 6 + at, Math.min(piece, dataset.length - at), at);
      }
      expect(copy.subarray(6).equals(dataset)).toBe(true);
      // Going back (a second pass) reads again rather than handing out the wrong window.
      const again = Buffer.alloc(100);
      await reader.fill(again, 0, 100, 10);
      expect(again.equals(dataset.subarray(10, 110))).toBe(true);
      await reader.close();

      const shrinking = await openPart10(file);
      fs.truncateSync(file, head.length + 2 * 1024 * 1024);
      const tail = Buffer.alloc(1000);
      await expect(shrinking.fill(tail, 0, 1000, dataset.length - 1000)).rejects.toMatchObject({ code: "invalid-file" });
      await shrinking.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
