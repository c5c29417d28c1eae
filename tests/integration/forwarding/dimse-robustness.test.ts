// @test-once-per-run: uses no database (DIMSE client against scripted peers); scripts/test.mjs runs it in the first database pass only.
/**
 * The DIMSE client against a scripted peer on a real socket, for what neither Orthanc nor storescp can be made to
 * do: no listener, silence, a transient rejection, an oversize or unknown PDU, a socket closed mid-transfer, a
 * response to the wrong message, failure statuses with an Error Comment, and PDU sizes at the peer's limit.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeCommand, encodeResponse } from "@/lib/forwarding/dimse/command-set";
import { openAssociation, type TDimseAssociation } from "@/lib/forwarding/dimse/dimse-client";
import { parsePart10Header, readPart10Header } from "@/lib/forwarding/dimse/part10-header";
import { encodeAssociateAc, encodeAssociateRj, encodePData, PduReader, type TPdu } from "@/lib/forwarding/dimse/pdu";
import { makeDicomFiles, type TFixtureFile } from "../../support/forwarding-fixtures";
import { freePort } from "../../support/free-port";

type TPeer = {
  port: number;
  /** Every PDU the client sent. */
  received: TPdu[];
  /** Raw bytes the client sent. */
  raw: () => Buffer;
  /** True once the client half-closed or closed the connection. */
  clientClosed: () => boolean;
  close: () => Promise<void>;
};

/** A peer that calls `onPdu` for every PDU the client sends; `record: false` keeps neither PDUs nor raw bytes. */
const startPeer = async (onPdu: (pdu: TPdu, socket: net.Socket) => void, { record = true } = {}): Promise<TPeer> => {
  const received: TPeer["received"] = [];
  const chunks: Buffer[] = [];
  let closed = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const reader = new PduReader(16 * 1024 * 1024);
    socket.on("data", (chunk: Buffer) => {
      if (record) {
        chunks.push(Buffer.from(chunk));
      }
      for (const pdu of reader.push(chunk)) {
        if (record) {
          received.push(pdu);
        }
        onPdu(pdu, socket);
      }
    });
    socket.on("end", () => { closed = true; });
    socket.on("close", () => { closed = true; });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    raw: () => Buffer.concat(chunks),
    clientClosed: () => closed,
    close: () => new Promise((resolve) => {
      sockets.forEach((s) => s.destroy());
      server.close(() => resolve());
    }),
  };
};

/** Accepts every proposed context with its transfer syntax. */
const accept = (socket: net.Socket, pdu: TPdu, maxPduLength = 16_384): void => {
  if (pdu.type !== "associate-rq") {
    return;
  }
  socket.write(encodeAssociateAc({
    calledAet: pdu.rq.calledAet, callingAet: pdu.rq.callingAet, maxPduLength,
    contexts: pdu.rq.contexts.map((c) => ({ id: c.id, result: 0, transferSyntax: c.transferSyntaxes[0] })),
  }));
};

/** Splits the P-DATA traffic the peer received into the command set and the data set of one message. */
const messageOf = (received: TPeer["received"]): { command: Buffer; data: Buffer; lastFlags: boolean[] } => {
  const pdvs = received.flatMap((pdu) => (pdu.type === "p-data" ? pdu.pdvs : []));

  return {
    command: Buffer.concat(pdvs.filter((p) => p.isCommand).map((p) => p.data)),
    data: Buffer.concat(pdvs.filter((p) => !p.isCommand).map((p) => p.data)),
    lastFlags: pdvs.filter((p) => !p.isCommand).map((p) => p.isLast),
  };
};

const ABORT_FROM_PROVIDER = (reason: number): Buffer => Buffer.from([0x07, 0, 0, 0, 0, 4, 0, 0, 2, reason]);

describe("DIMSE client robustness (scripted peer)", () => {
  let dir: string;
  let file: TFixtureFile;
  let peer: TPeer | undefined;
  let association: TDimseAssociation | undefined;
  const target = (port: number, timeouts = {}) => ({ host: "127.0.0.1", port, callingAet: "ENC_CAPTURE", calledAet: "PEER", timeouts });
  const storeId = () => ({ sopClassUid: file.sopClassUid, sopInstanceUid: file.sopInstanceUid, transferSyntaxUid: "1.2.840.10008.1.2.4.50" });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dimse-robust-"));
    [file] = await makeDicomFiles(dir, 1, { width: 400, height: 300 }) as [TFixtureFile];
  });
  afterEach(async () => {
    association?.abort();
    association = undefined;
    await peer?.close();
    peer = undefined;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("nothing listening → transient connect-failed", async () => {
    const port = await freePort();
    await expect(openAssociation(target(port))).rejects.toMatchObject({ code: "connect-failed", kind: "transient", message: expect.stringContaining("ECONNREFUSED") });
  });

  it("a peer that never answers the association request → transient association-timeout, connection closed", async () => {
    peer = await startPeer(() => undefined);
    await expect(openAssociation(target(peer.port, { associateMs: 300 }))).rejects.toMatchObject({ code: "association-timeout", kind: "transient" });
    await expect.poll(() => peer!.clientClosed()).toBe(true);
    expect(peer.raw().subarray(-10)).toEqual(Buffer.from([0x07, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
  });

  it("A-ASSOCIATE-RJ rejected-transient (congestion) → transient association-rejected", async () => {
    peer = await startPeer((_pdu, socket) => socket.end(encodeAssociateRj(2, 3, 1)));
    await expect(openAssociation(target(peer.port))).rejects.toMatchObject({
      code: "association-rejected", kind: "transient", detail: { result: 2, source: 3, reason: 1 },
      message: expect.stringContaining("rejected-transient by the service provider (presentation): temporary congestion"),
    });
  });

  it("an oversize PDU length is refused unread: A-ABORT (provider, invalid parameter) and a transient pdu-too-large", async () => {
    peer = await startPeer((_pdu, socket) => socket.write(Buffer.from([0x02, 0, 0xff, 0xff, 0xff, 0xf0, 0, 0])));
    await expect(openAssociation(target(peer.port))).rejects.toMatchObject({ code: "pdu-too-large", kind: "transient" });
    await expect.poll(() => peer!.clientClosed()).toBe(true);
    expect(peer.raw().subarray(-10)).toEqual(ABORT_FROM_PROVIDER(6));
  });

  it("an unknown PDU type mid-store → A-ABORT (unrecognized PDU) and a transient protocol-error", async () => {
    peer = await startPeer((pdu, socket) => {
      accept(socket, pdu);
      if (pdu.type === "p-data" && pdu.pdvs.some((p) => !p.isCommand && p.isLast)) {
        socket.write(Buffer.from([0x09, 0, 0, 0, 0, 2, 0, 0]));
      }
    });
    association = await openAssociation(target(peer.port));
    await expect(association.store(file.absolutePath, storeId())).rejects.toMatchObject({ code: "protocol-error", kind: "transient" });
    expect(association.isOpen()).toBe(false);
    await expect.poll(() => peer!.clientClosed()).toBe(true);
    expect(peer.raw().subarray(-10)).toEqual(ABORT_FROM_PROVIDER(1));
  });

  it("the peer closing the socket mid-transfer → transient connection-closed, later calls fail at once", async () => {
    peer = await startPeer((pdu, socket) => {
      accept(socket, pdu, 1024);
      if (pdu.type === "p-data" && pdu.pdvs.some((p) => !p.isCommand)) {
        socket.destroy();
      }
    });
    association = await openAssociation(target(peer.port));
    await expect(association.store(file.absolutePath, storeId())).rejects.toMatchObject({ code: "connection-closed", kind: "transient" });
    await expect(association.echo()).rejects.toMatchObject({ code: "connection-closed" });
  });

  it("a response to another message ID → protocol-error; failure statuses come back as status, kind and Error Comment", async () => {
    const answers = [
      { status: 0xa700, errorComment: "disk full" }, { status: 0x0122 }, { status: 0xb000 }, { status: 0x0000, wrongId: true },
    ];
    peer = await startPeer((pdu, socket) => {
      accept(socket, pdu);
      if (pdu.type !== "p-data") {
        return;
      }
      const command = pdu.pdvs.find((p) => p.isCommand);
      if (command) {
        (socket as net.Socket & { messageId?: number }).messageId = decodeCommand(command.data).messageId;
      }
      if (pdu.pdvs.some((p) => !p.isCommand && p.isLast)) {
        const a = answers.shift()!;
        const id = (socket as net.Socket & { messageId?: number }).messageId! + ("wrongId" in a ? 100 : 0);
        socket.write(encodePData({ contextId: pdu.pdvs[0]!.contextId, isCommand: true, isLast: true,
          data: encodeResponse({ commandField: 0x8001, messageIdBeingRespondedTo: id, status: a.status, ...("errorComment" in a ? { errorComment: a.errorComment } : {}) }) }));
      }
    });
    association = await openAssociation(target(peer.port));
    expect(await association.store(file.absolutePath, storeId())).toEqual({ status: 0xa700, statusKind: "transient", errorComment: "disk full" });
    expect(await association.store(file.absolutePath, storeId())).toEqual({ status: 0x0122, statusKind: "permanent" });
    expect(await association.store(file.absolutePath, storeId())).toEqual({ status: 0xb000, statusKind: "warning" });
    await expect(association.store(file.absolutePath, storeId())).rejects.toMatchObject({ code: "protocol-error", kind: "transient" });
  });

  it("fragments to the peer's maximum PDU length: every PDU within it, only the last data fragment flagged, data set intact", async () => {
    const MAX = 1024;
    const lengths: number[] = [];
    peer = await startPeer((pdu, socket) => {
      accept(socket, pdu, MAX);
      if (pdu.type === "p-data" && pdu.pdvs.some((p) => !p.isCommand && p.isLast)) {
        socket.write(encodePData({ contextId: pdu.pdvs[0]!.contextId, isCommand: true, isLast: true,
          data: encodeResponse({ commandField: 0x8001, messageIdBeingRespondedTo: 1, status: 0 }) }));
      }
    });
    association = await openAssociation(target(peer.port));
    expect(await association.store(file.absolutePath, storeId())).toEqual({ status: 0, statusKind: "success" });
    const raw = peer.raw();
    for (let at = 0; at < raw.length; at += 6 + raw.readUInt32BE(at + 2)) {
      if (raw[at] === 0x04) {
        lengths.push(raw.readUInt32BE(at + 2));
      }
    }
    const { command, data, lastFlags } = messageOf(peer.received);
    const header = await readPart10Header(file.absolutePath);
    const bytes = fs.readFileSync(file.absolutePath);
    expect(Math.max(...lengths)).toBe(MAX);
    expect(lengths.length).toBe(1 + Math.ceil((bytes.length - header.datasetOffset) / (MAX - 6)));
    expect(lastFlags.indexOf(true)).toBe(lastFlags.length - 1);
    expect(decodeCommand(command)).toMatchObject({ commandField: 0x0001, sopInstanceUid: file.sopInstanceUid, dataSetType: 0 });
    expect(data.equals(bytes.subarray(parsePart10Header(bytes, bytes.length).datasetOffset))).toBe(true);
  });

  it("the archive releasing an idle association: we confirm (A-RELEASE-RP), and the next call fails at once, transient", async () => {
    peer = await startPeer((pdu, socket) => {
      accept(socket, pdu);
      if (pdu.type === "associate-rq") {
        setTimeout(() => socket.write(Buffer.from([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0])), 50);
      }
    });
    association = await openAssociation(target(peer.port));
    await expect.poll(() => association!.isOpen()).toBe(false);
    await expect(association.store(file.absolutePath, storeId())).rejects.toMatchObject({ code: "association-closed", kind: "transient" });
    await expect.poll(() => peer!.received.map((p) => p.type)).toEqual(["associate-rq", "release-rp"]);
    await expect.poll(() => peer!.clientClosed()).toBe(true);
  });

  it("streams a 512 MiB data set with bounded memory, in PDUs at the peer's limit", async () => {
    const SIZE = 512 * 1024 * 1024;
    const big = path.join(dir, "big.dcm");
    // A Part 10 file whose data set is one (7FE0,0010) OB element of defined length, after the File Meta of a real
    // file (sparse on disk: ftruncate).
    const source = fs.readFileSync(file.absolutePath);
    const { datasetOffset } = parsePart10Header(source, source.length);
    const element = Buffer.alloc(12);
    element.writeUInt16LE(0x7fe0, 0);
    element.writeUInt16LE(0x0010, 2);
    element.write("OB", 4, "latin1");
    element.writeUInt32LE(SIZE - 12, 8);
    const fd = fs.openSync(big, "w");
    fs.writeSync(fd, source.subarray(0, datasetOffset));
    fs.writeSync(fd, element);
    fs.ftruncateSync(fd, datasetOffset + SIZE);
    fs.closeSync(fd);
    let dataBytes = 0;
    let maxPdu = 0;
    peer = await startPeer((pdu, socket) => {
      accept(socket, pdu, 65_536);
      if (pdu.type !== "p-data") {
        return;
      }
      for (const pdv of pdu.pdvs) {
        maxPdu = Math.max(maxPdu, pdv.data.length + 6);
        dataBytes += pdv.isCommand ? 0 : pdv.data.length;
        if (!pdv.isCommand && pdv.isLast) {
          socket.write(encodePData({ contextId: pdv.contextId, isCommand: true, isLast: true,
            data: encodeResponse({ commandField: 0x8001, messageIdBeingRespondedTo: 1, status: 0 }) }));
        }
      }
    }, { record: false }); // the peer keeps counters only: its memory must not hide ours
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 20);
    try {
      association = await openAssociation(target(peer.port));
      expect(await association.store(big, storeId())).toEqual({ status: 0, statusKind: "success" });
    } finally {
      clearInterval(sampler);
      fs.rmSync(big);
    }
    expect(dataBytes).toBe(SIZE);
    expect(maxPdu).toBe(65_536);
    expect(rssPeak - rssBefore, "RSS growth while sending 512 MiB").toBeLessThan(128 * 1024 * 1024);
  }, 120_000);
});
