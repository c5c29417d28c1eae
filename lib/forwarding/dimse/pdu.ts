/**
 * DICOM Upper Layer PDUs (PS3.8 §9.3): encoding of what an association requestor sends, decoding of what it
 * receives. Every multi-byte field of a PDU, item and sub-item is big endian (PS3.8 §9.3.1); the DIMSE messages
 * carried inside P-DATA-TF are not (they use the presentation context's transfer syntax).
 *
 * PDU header: type (1) · reserved (1) · PDU length (4, bytes after the header). Items inside A-ASSOCIATE PDUs:
 * type (1) · reserved (1) · item length (2).
 */

/** PDU types (PS3.8 Table 9-11 and §9.3.2–§9.3.8). */
export const PDU_TYPE = {
  associateRq: 0x01,
  associateAc: 0x02,
  associateRj: 0x03,
  pData: 0x04,
  releaseRq: 0x05,
  releaseRp: 0x06,
  abort: 0x07,
} as const;

/** Item types of A-ASSOCIATE-RQ/AC (PS3.8 §9.3.2.1–§9.3.3.3, Annex D). */
export const ITEM_TYPE = {
  applicationContext: 0x10,
  presentationContextRq: 0x20,
  presentationContextAc: 0x21,
  abstractSyntax: 0x30,
  transferSyntax: 0x40,
  userInformation: 0x50,
  maxLength: 0x51,
  implementationClassUid: 0x52,
  asyncOperationsWindow: 0x53,
  implementationVersionName: 0x55,
} as const;

/** The DICOM Application Context Name (PS3.7 Annex A.2.1). */
export const DICOM_APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1";
export const PDU_HEADER_BYTES = 6;
/** A P-DATA-TF PDV item adds 4 (item length) + 1 (context ID) + 1 (message control header) bytes (PS3.8 §9.3.5.1). */
export const PDV_OVERHEAD_BYTES = 6;

/** One presentation context as proposed: an ID (odd, 1–255, PS3.8 §9.3.2.2) and one abstract/transfer syntax pair. */
export type TPresentationContextRq = { id: number; abstractSyntax: string; transferSyntaxes: string[] };

export type TAssociateRq = {
  calledAet: string;
  callingAet: string;
  contexts: TPresentationContextRq[];
  /** Largest P-DATA-TF variable field we accept; 0 = unlimited (PS3.8 Annex D.1). */
  maxPduLength: number;
  implementationClassUid: string;
  implementationVersionName?: string;
};

/** Result of one presentation context in A-ASSOCIATE-AC (PS3.8 Table 9-18). */
export type TPresentationContextAc = { id: number; result: number; transferSyntax?: string };

export type TAssociateAc = {
  calledAet: string;
  callingAet: string;
  applicationContext?: string;
  contexts: TPresentationContextAc[];
  /** The acceptor's Maximum Length Received; 0 = unlimited. */
  maxPduLength: number;
  implementationClassUid?: string;
  implementationVersionName?: string;
};

export type TPdv = { contextId: number; isCommand: boolean; isLast: boolean; data: Buffer };

export type TPdu =
  | { type: "associate-ac"; ac: TAssociateAc }
  | { type: "associate-rj"; result: number; source: number; reason: number }
  | { type: "p-data"; pdvs: TPdv[] }
  | { type: "release-rq" }
  | { type: "release-rp" }
  | { type: "abort"; source: number; reason: number }
  | { type: "associate-rq"; rq: TAssociateRq };

/** A PDU the peer sent that does not follow PS3.8 §9.3: the association is aborted (reason in PS3.8 Table 9-26). */
export class PduFormatError extends Error {
  constructor(
    message: string,
    /** A-ABORT reason: 1 unrecognized PDU, 2 unexpected PDU, 4 unrecognized parameter, 6 invalid parameter value. */
    readonly abortReason: number,
  ) {
    super(message);
    this.name = "PduFormatError";
  }
}

const withHeader = (type: number, body: Buffer): Buffer => {
  const header = Buffer.alloc(PDU_HEADER_BYTES);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 2);

  return Buffer.concat([header, body]);
};

const item = (type: number, value: Buffer): Buffer => {
  const head = Buffer.alloc(4);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(value.length, 2);

  return Buffer.concat([head, value]);
};

const ascii = (text: string): Buffer => Buffer.from(text, "latin1");

/** AE titles are 16 bytes, space padded (PS3.8 §9.3.2, PS3.5 AE VR: no backslash or control characters). */
export const encodeAeTitle = (aet: string): Buffer => {
  if (aet.trim().length === 0 || aet.length > 16 || !/^[\x20-\x7e]+$/.test(aet) || aet.includes("\\")) {
    throw new Error(`"${aet}" is not a valid AE title (1–16 printable ASCII characters, no backslash)`);
  }

  return ascii(aet.padEnd(16, " "));
};

/** A-ASSOCIATE-RQ (PS3.8 §9.3.2): protocol version 1, AE titles, application context, contexts, user information. */
export const encodeAssociateRq = (rq: TAssociateRq): Buffer => {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(0x0001, 0);
  encodeAeTitle(rq.calledAet).copy(fixed, 4);
  encodeAeTitle(rq.callingAet).copy(fixed, 20);
  const contexts = rq.contexts.map((pc) => {
    if (pc.id < 1 || pc.id > 255 || pc.id % 2 === 0) {
      throw new Error(`presentation context ID ${pc.id} is not an odd number between 1 and 255`);
    }
    const head = Buffer.from([pc.id, 0, 0, 0]);
    const subItems = [item(ITEM_TYPE.abstractSyntax, ascii(pc.abstractSyntax)),
      ...pc.transferSyntaxes.map((ts) => item(ITEM_TYPE.transferSyntax, ascii(ts)))];

    return item(ITEM_TYPE.presentationContextRq, Buffer.concat([head, ...subItems]));
  });
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(rq.maxPduLength, 0);
  const user = [item(ITEM_TYPE.maxLength, maxLength), item(ITEM_TYPE.implementationClassUid, ascii(rq.implementationClassUid))];
  if (rq.implementationVersionName) {
    user.push(item(ITEM_TYPE.implementationVersionName, ascii(rq.implementationVersionName)));
  }

  return withHeader(PDU_TYPE.associateRq, Buffer.concat([
    fixed,
    item(ITEM_TYPE.applicationContext, ascii(DICOM_APPLICATION_CONTEXT)),
    ...contexts,
    item(ITEM_TYPE.userInformation, Buffer.concat(user)),
  ]));
};

/**
 * A-ASSOCIATE-AC (PS3.8 §9.3.3). We never accept associations; this exists for round-trip tests and test peers.
 */
export const encodeAssociateAc = (ac: TAssociateAc): Buffer => {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(0x0001, 0);
  ascii(ac.calledAet.padEnd(16, " ")).copy(fixed, 4);
  ascii(ac.callingAet.padEnd(16, " ")).copy(fixed, 20);
  const contexts = ac.contexts.map((pc) =>
    item(ITEM_TYPE.presentationContextAc, Buffer.concat([Buffer.from([pc.id, 0, pc.result, 0]),
      ...(pc.transferSyntax ? [item(ITEM_TYPE.transferSyntax, ascii(pc.transferSyntax))] : [])])));
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(ac.maxPduLength, 0);
  const user = [item(ITEM_TYPE.maxLength, maxLength)];
  if (ac.implementationClassUid) {
    user.push(item(ITEM_TYPE.implementationClassUid, ascii(ac.implementationClassUid)));
  }
  if (ac.implementationVersionName) {
    user.push(item(ITEM_TYPE.implementationVersionName, ascii(ac.implementationVersionName)));
  }

  return withHeader(PDU_TYPE.associateAc, Buffer.concat([
    fixed, item(ITEM_TYPE.applicationContext, ascii(ac.applicationContext ?? DICOM_APPLICATION_CONTEXT)),
    ...contexts, item(ITEM_TYPE.userInformation, Buffer.concat(user)),
  ]));
};

/** A-ASSOCIATE-RJ (PS3.8 §9.3.4), for test peers: result 1 permanent / 2 transient, source, reason. */
export const encodeAssociateRj = (result: number, source: number, reason: number): Buffer =>
  withHeader(PDU_TYPE.associateRj, Buffer.from([0, result, source, reason]));

/** A-RELEASE-RQ / A-RELEASE-RP (PS3.8 §9.3.6–§9.3.7): four reserved bytes. */
export const encodeReleaseRq = (): Buffer => withHeader(PDU_TYPE.releaseRq, Buffer.alloc(4));
export const encodeReleaseRp = (): Buffer => withHeader(PDU_TYPE.releaseRp, Buffer.alloc(4));

/** A-ABORT (PS3.8 §9.3.8): source 0 = service user, 2 = service provider; reason only meaningful for source 2. */
export const encodeAbort = (source = 0, reason = 0): Buffer => withHeader(PDU_TYPE.abort, Buffer.from([0, 0, source, reason]));

/**
 * The header of a P-DATA-TF PDU holding exactly one PDV of `fragmentLength` bytes (PS3.8 §9.3.5, Annex E.2):
 * message control header bit 0 = command, bit 1 = last fragment. The caller writes the fragment right after it.
 */
export const writePDataHeader = (
  target: Buffer,
  { contextId, isCommand, isLast, fragmentLength }: { contextId: number; isCommand: boolean; isLast: boolean; fragmentLength: number },
): void => {
  target.writeUInt8(PDU_TYPE.pData, 0);
  target.writeUInt8(0, 1);
  target.writeUInt32BE(fragmentLength + PDV_OVERHEAD_BYTES, 2);
  target.writeUInt32BE(fragmentLength + 2, 6);
  target.writeUInt8(contextId, 10);
  target.writeUInt8((isCommand ? 0x01 : 0) | (isLast ? 0x02 : 0), 11);
};

/** One P-DATA-TF PDU with one PDV (tests and small command sets). */
export const encodePData = (pdv: TPdv): Buffer => {
  const pdu = Buffer.alloc(PDU_HEADER_BYTES + PDV_OVERHEAD_BYTES + pdv.data.length);
  writePDataHeader(pdu, { ...pdv, fragmentLength: pdv.data.length });
  pdv.data.copy(pdu, PDU_HEADER_BYTES + PDV_OVERHEAD_BYTES);

  return pdu;
};

const trimUid = (b: Buffer): string => b.toString("latin1").replace(/[\0 ]+$/, "");

/** Walks `type · reserved · length(2) · value` items of `body` from `offset`. */
const readItems = (body: Buffer, offset: number, what: string): { type: number; value: Buffer }[] => {
  const items: { type: number; value: Buffer }[] = [];
  let at = offset;
  while (at < body.length) {
    if (at + 4 > body.length) {
      throw new PduFormatError(`${what}: truncated item header at byte ${at}`, 6);
    }
    const length = body.readUInt16BE(at + 2);
    if (at + 4 + length > body.length) {
      throw new PduFormatError(`${what}: item 0x${body[at]!.toString(16)} runs past the end of its PDU`, 6);
    }
    items.push({ type: body[at]!, value: body.subarray(at + 4, at + 4 + length) });
    at += 4 + length;
  }

  return items;
};

const decodeUserInformation = (value: Buffer, into: TAssociateAc | TAssociateRq): void => {
  for (const sub of readItems(value, 0, "user information")) {
    if (sub.type === ITEM_TYPE.maxLength) {
      if (sub.value.length !== 4) {
        throw new PduFormatError("maximum length sub-item is not 4 bytes long", 6);
      }
      into.maxPduLength = sub.value.readUInt32BE(0);
    } else if (sub.type === ITEM_TYPE.implementationClassUid) {
      into.implementationClassUid = trimUid(sub.value);
    } else if (sub.type === ITEM_TYPE.implementationVersionName) {
      into.implementationVersionName = trimUid(sub.value);
    }
    // Other sub-items (async window, role selection, extended negotiation, user identity) need no answer from us.
  }
};

const decodeAssociateAc = (body: Buffer): TAssociateAc => {
  if (body.length < 68) {
    throw new PduFormatError(`A-ASSOCIATE-AC is ${body.length} bytes long, shorter than its 68 fixed bytes`, 6);
  }
  const ac: TAssociateAc = {
    calledAet: body.subarray(4, 20).toString("latin1").trim(),
    callingAet: body.subarray(20, 36).toString("latin1").trim(),
    contexts: [],
    maxPduLength: 0,
  };
  for (const it of readItems(body, 68, "A-ASSOCIATE-AC")) {
    if (it.type === ITEM_TYPE.applicationContext) {
      ac.applicationContext = trimUid(it.value);
    } else if (it.type === ITEM_TYPE.presentationContextAc) {
      if (it.value.length < 4) {
        throw new PduFormatError("presentation context item shorter than 4 bytes", 6);
      }
      const ts = readItems(it.value, 4, "presentation context").find((s) => s.type === ITEM_TYPE.transferSyntax);
      ac.contexts.push({ id: it.value[0]!, result: it.value[2]!, ...(ts ? { transferSyntax: trimUid(ts.value) } : {}) });
    } else if (it.type === ITEM_TYPE.userInformation) {
      decodeUserInformation(it.value, ac);
    }
  }

  return ac;
};

/** Decodes an A-ASSOCIATE-RQ (only our own test peers need this). */
const decodeAssociateRq = (body: Buffer): TAssociateRq => {
  if (body.length < 68) {
    throw new PduFormatError("A-ASSOCIATE-RQ shorter than its 68 fixed bytes", 6);
  }
  const rq: TAssociateRq = {
    calledAet: body.subarray(4, 20).toString("latin1").trim(),
    callingAet: body.subarray(20, 36).toString("latin1").trim(),
    contexts: [],
    maxPduLength: 0,
    implementationClassUid: "",
  };
  for (const it of readItems(body, 68, "A-ASSOCIATE-RQ")) {
    if (it.type === ITEM_TYPE.presentationContextRq) {
      const subs = readItems(it.value, 4, "presentation context");
      rq.contexts.push({
        id: it.value[0]!,
        abstractSyntax: trimUid(subs.find((s) => s.type === ITEM_TYPE.abstractSyntax)?.value ?? Buffer.alloc(0)),
        transferSyntaxes: subs.filter((s) => s.type === ITEM_TYPE.transferSyntax).map((s) => trimUid(s.value)),
      });
    } else if (it.type === ITEM_TYPE.userInformation) {
      decodeUserInformation(it.value, rq);
    }
  }

  return rq;
};

const decodePData = (body: Buffer): TPdv[] => {
  const pdvs: TPdv[] = [];
  let at = 0;
  while (at < body.length) {
    if (at + 6 > body.length) {
      throw new PduFormatError("P-DATA-TF: truncated PDV item header", 6);
    }
    const length = body.readUInt32BE(at);
    if (length < 2 || at + 4 + length > body.length) {
      throw new PduFormatError(`P-DATA-TF: PDV item length ${length} does not fit its PDU`, 6);
    }
    const control = body[at + 5]!;
    pdvs.push({ contextId: body[at + 4]!, isCommand: (control & 1) === 1, isLast: (control & 2) === 2, data: body.subarray(at + 6, at + 4 + length) });
    at += 4 + length;
  }
  if (pdvs.length === 0) {
    throw new PduFormatError("P-DATA-TF without a PDV item", 6);
  }

  return pdvs;
};

const fourBytes = (body: Buffer, name: string): Buffer => {
  if (body.length !== 4) {
    throw new PduFormatError(`${name} PDU length is ${body.length}, not 4`, 6);
  }

  return body;
};

/**
 * Decodes one complete PDU body.
 * @param type - PDU type byte
 * @param body - the bytes after the 6-byte header
 * @throws PduFormatError for an unknown type or a malformed body
 */
export const decodePdu = (type: number, body: Buffer): TPdu => {
  switch (type) {
    case PDU_TYPE.associateAc:
      return { type: "associate-ac", ac: decodeAssociateAc(body) };
    case PDU_TYPE.associateRj: {
      const b = fourBytes(body, "A-ASSOCIATE-RJ");

      return { type: "associate-rj", result: b[1]!, source: b[2]!, reason: b[3]! };
    }
    case PDU_TYPE.pData:
      return { type: "p-data", pdvs: decodePData(body) };
    case PDU_TYPE.releaseRq:
      fourBytes(body, "A-RELEASE-RQ");

      return { type: "release-rq" };
    case PDU_TYPE.releaseRp:
      fourBytes(body, "A-RELEASE-RP");

      return { type: "release-rp" };
    case PDU_TYPE.abort: {
      const b = fourBytes(body, "A-ABORT");

      return { type: "abort", source: b[2]!, reason: b[3]! };
    }
    case PDU_TYPE.associateRq:
      return { type: "associate-rq", rq: decodeAssociateRq(body) };
    default:
      throw new PduFormatError(`unrecognized PDU type 0x${type.toString(16).padStart(2, "0")}`, 1);
  }
};

/**
 * Splits a byte stream into PDUs. A declared length above `maxPduBytes` is refused before its body is buffered,
 * so a hostile or broken peer cannot make us allocate gigabytes.
 */
export class PduReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxPduBytes: number) {}

  /**
   * Adds received bytes and returns every PDU now complete.
   * @throws PduFormatError when a PDU declares a length above the cap, or is malformed
   */
  push(chunk: Buffer): TPdu[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: TPdu[] = [];
    for (;;) {
      if (this.buffered < PDU_HEADER_BYTES) {
        return out;
      }
      const head = this.peek(PDU_HEADER_BYTES);
      const length = head.readUInt32BE(2);
      if (length > this.maxPduBytes) {
        throw new PduFormatError(`the peer sent a PDU of ${length} bytes, above the ${this.maxPduBytes}-byte limit`, 6);
      }
      if (this.buffered < PDU_HEADER_BYTES + length) {
        return out;
      }
      const whole = this.take(PDU_HEADER_BYTES + length);
      out.push(decodePdu(whole[0]!, whole.subarray(PDU_HEADER_BYTES)));
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) {
      this.chunks = [Buffer.concat(this.chunks)];
    }

    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;

    return all.subarray(0, n);
  }
}
