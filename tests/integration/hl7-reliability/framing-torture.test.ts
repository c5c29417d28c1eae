/**
 * MLLP framing torture against the real listener process (reliability-matrix §5 row 1): frames split at every byte
 * offset, many frames in one write, NUL/LF/CRLF between frames, FS without CR. Every message gets exactly one ACK,
 * in order, whose MSA-2 is its MSH-10; a mis-assembled payload would show up as AE (a different body hash for a
 * known control id) or a parse error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frame, MLLP_FS, MLLP_VT } from "@/lib/hl7/mllp-framer";
import { generateAdtTraffic, hl7Field, seededRandom, type TGeneratedMessage } from "../../support/hl7-driver";
import { startListenerProcess, type TListenerProcess } from "../../support/hl7-listener-process";
import { openWire, type TWire } from "../../support/hl7-wire";
import { freePort } from "../../support/free-port";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Answers are read as latin1 by the wire; the ACK of a UTF-8 message is UTF-8. */
const utf8 = (latin1: string): string => Buffer.from(latin1, "latin1").toString("utf8");

/** Traffic in send order (one lane), each patient's messages in order. */
const traffic = (prefix: string, messages: number, seed: number): TGeneratedMessage[] =>
  generateAdtTraffic({ messages, perPatient: 2, lanes: 1, seed, withDischarge: false, prefix }).lanes[0]!;

/** Read n answers and check each against the message sent in that position. */
const expectAcks = async (wire: TWire, sent: TGeneratedMessage[]): Promise<void> => {
  const got: string[] = [];
  for (let i = 0; i < sent.length; i += 1) {
    const ack = await wire.next(15_000);
    got.push(ack === undefined ? "(none)" : `${hl7Field(ack, "MSA", 1)} ${hl7Field(ack, "MSA", 2)}`);
  }
  expect(got).toEqual(sent.map((m) => `AA ${m.controlId}`));
  await sleep(200);
  expect(wire.frames.length).toBe(sent.length);
};

describe("framing torture against the listener process", () => {
  let t: TTestDatabase;
  let listener: TListenerProcess | undefined;
  let port: number;
  const unique = new Set<string>();
  beforeAll(async () => {
    t = await createTestDatabase();
    port = await freePort();
    listener = await startListenerProcess({ databaseUrl: t.url, dataDir: t.dataDir, port });
  });
  afterAll(async () => {
    await listener?.kill();
    await t?.drop();
  });

  it("a frame split at every byte offset is ACKed once with its MSA-2 (new and repeated messages)", async () => {
    const messages = traffic("S", 4, 11);
    const connections = await Promise.all([0, 1, 2, 3].map(() => openWire(port)));
    for (const [m, message] of messages.entries()) {
      const bytes = frame(message.payload);
      // First delivery, split into single bytes (each byte its own write: the worst case for reassembly).
      const first = connections[0]!;
      for (let i = 0; i < bytes.length; i += 1) {
        await first.write(bytes.subarray(i, i + 1));
        if (i % 16 === 0) {
          await sleep(0);
        }
      }
      const stored = await first.next(15_000);
      expect(stored && `${hl7Field(stored, "MSA", 1)} ${hl7Field(stored, "MSA", 2)}`).toBe(`AA ${message.controlId}`);
      unique.add(message.controlId);
      // Then the same message split at every offset, spread over the connections: each answer must be the stored
      // ACK byte for byte (the duplicate path compares the body hash, so a mis-joined payload would get AE).
      const offsets = Array.from({ length: bytes.length - 1 }, (_, k) => k + 1).filter((k) => m < 2 || k % 7 === 0);
      await Promise.all(
        connections.map(async (wire, c) => {
          for (const k of offsets.filter((_, i) => i % connections.length === c)) {
            await wire.write(bytes.subarray(0, k));
            await sleep(1);
            await wire.write(bytes.subarray(k));
            const ack = await wire.next(15_000);
            expect({ k, ack }).toEqual({ k, ack: stored });
          }
        }),
      );
    }
    await sleep(200);
    const totals = connections.map((w) => w.frames.length);
    for (const w of connections) {
      w.destroy();
    }
    expect(totals.reduce((a, b) => a + b, 0)).toBe(
      messages.reduce((n, msg, m) => n + 1 + (m < 2 ? frame(msg.payload).length - 1 : Math.floor((frame(msg.payload).length - 1) / 7)), 0),
    );
    expect(utf8(connections[0]!.frames[0]!)).toContain("MSA|AA|");
  });

  it("100 frames in one write: 100 ACKs, in order, none mis-correlated", async () => {
    const messages = traffic("B", 100, 12);
    const wire = await openWire(port);
    await wire.write(Buffer.concat(messages.map((m) => frame(m.payload))));
    await expectAcks(wire, messages);
    messages.forEach((m) => unique.add(m.controlId));
    wire.destroy();
  });

  it("NUL, LF and CRLF between frames, FS without CR, random chunking: every frame ACKed once", async () => {
    const messages = traffic("N", 40, 13);
    const random = seededRandom(14);
    const noise = [Buffer.from([0]), Buffer.from([0, 0, 0, 0]), Buffer.from("\n"), Buffer.from("\r\n"), Buffer.from([0, 0x0a])];
    const parts: Buffer[] = [];
    messages.forEach((m, i) => {
      const framed = frame(m.payload);
      // Every fifth frame ends with FS alone (lenient end), followed by noise that does not start with CR.
      parts.push(i % 5 === 4 ? framed.subarray(0, framed.length - 1) : framed);
      parts.push(noise[Math.floor(random() * noise.length)]!);
    });
    const stream = Buffer.concat(parts);
    expect(stream.includes(MLLP_VT)).toBe(true);
    expect(stream.filter((b) => b === MLLP_FS).length).toBe(messages.length);
    const wire = await openWire(port);
    for (let at = 0; at < stream.length; ) {
      const size = 1 + Math.floor(random() * 700);
      await wire.write(stream.subarray(at, at + size));
      at += size;
      await sleep(random() < 0.3 ? 1 : 0);
    }
    await expectAcks(wire, messages);
    messages.forEach((m) => unique.add(m.controlId));
    wire.destroy();
  });

  it("each distinct message is stored once, processed", async () => {
    expect(await listener!.stop()).toBe(0);
    listener = undefined;
    const rows = await t.db.hl7Message.findMany({ select: { controlId: true, status: true } });
    expect(rows.length).toBe(unique.size);
    expect(new Set(rows.map((r) => r.controlId))).toEqual(unique);
    expect(rows.every((r) => r.status === "processed")).toBe(true);
  });
});
