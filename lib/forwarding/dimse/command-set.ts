/**
 * DIMSE command sets (PS3.7 §6.3, §9.3.1 C-STORE, §9.3.5 C-ECHO): group 0000 elements, always Implicit VR Little
 * Endian whatever the presentation context says (PS3.7 §6.3.1), ascending tag order, Command Group Length first.
 * Element: group (2) · element (2) · value length (4) · value; UIDs are NUL padded to an even length (PS3.5 §9.1).
 */

/** Command Field values (PS3.7 §E.1). */
export const COMMAND_FIELD = { cStoreRq: 0x0001, cStoreRsp: 0x8001, cEchoRq: 0x0030, cEchoRsp: 0x8030 } as const;
/** Command Data Set Type: 0x0101 = no data set; any other value = a data set follows (PS3.7 Table E.1-1). */
export const NO_DATA_SET = 0x0101;
export const DATA_SET_PRESENT = 0x0000;
/** Priority (0000,0700): 0 medium, 1 high, 2 low. */
export const PRIORITY_MEDIUM = 0x0000;
/** Verification SOP Class (PS3.4 Annex A). */
export const VERIFICATION_SOP_CLASS = "1.2.840.10008.1.1";

const TAG = {
  groupLength: 0x0000_0000,
  affectedSopClassUid: 0x0000_0002,
  commandField: 0x0000_0100,
  messageId: 0x0000_0110,
  messageIdBeingRespondedTo: 0x0000_0120,
  priority: 0x0000_0700,
  commandDataSetType: 0x0000_0800,
  status: 0x0000_0900,
  offendingElement: 0x0000_0901,
  errorComment: 0x0000_0902,
  errorId: 0x0000_0903,
  affectedSopInstanceUid: 0x0000_1000,
} as const;

type TValue = { tag: number; value: Buffer };

const us = (tag: number, n: number): TValue => {
  const value = Buffer.alloc(2);
  value.writeUInt16LE(n, 0);

  return { tag, value };
};

const uid = (tag: number, text: string): TValue => {
  const raw = Buffer.from(text, "latin1");

  return { tag, value: raw.length % 2 === 0 ? raw : Buffer.concat([raw, Buffer.alloc(1)]) };
};

const encodeElements = (elements: TValue[]): Buffer => {
  const sorted = [...elements].sort((a, b) => a.tag - b.tag);
  const parts = sorted.map(({ tag, value }) => {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(tag >>> 16, 0);
    head.writeUInt16LE(tag & 0xffff, 2);
    head.writeUInt32LE(value.length, 4);

    return Buffer.concat([head, value]);
  });
  const body = Buffer.concat(parts);
  const length = Buffer.alloc(12);
  length.writeUInt32LE(4, 4);
  length.writeUInt32LE(body.length, 8);

  return Buffer.concat([length, body]);
};

/** C-STORE-RQ command set (PS3.7 Table 9.3-1). */
export const encodeCStoreRq = (a: { messageId: number; sopClassUid: string; sopInstanceUid: string; priority?: number }): Buffer =>
  encodeElements([
    uid(TAG.affectedSopClassUid, a.sopClassUid),
    us(TAG.commandField, COMMAND_FIELD.cStoreRq),
    us(TAG.messageId, a.messageId),
    us(TAG.priority, a.priority ?? PRIORITY_MEDIUM),
    us(TAG.commandDataSetType, DATA_SET_PRESENT),
    uid(TAG.affectedSopInstanceUid, a.sopInstanceUid),
  ]);

/** C-ECHO-RQ command set (PS3.7 Table 9.3-12). */
export const encodeCEchoRq = (messageId: number): Buffer =>
  encodeElements([
    uid(TAG.affectedSopClassUid, VERIFICATION_SOP_CLASS),
    us(TAG.commandField, COMMAND_FIELD.cEchoRq),
    us(TAG.messageId, messageId),
    us(TAG.commandDataSetType, NO_DATA_SET),
  ]);

/** A response command set as built by a test SCP (PS3.7 Tables 9.3-2 and 9.3-13). */
export const encodeResponse = (a: {
  commandField: number;
  messageIdBeingRespondedTo: number;
  status: number;
  sopClassUid?: string;
  sopInstanceUid?: string;
  errorComment?: string;
}): Buffer => {
  const elements = [
    us(TAG.commandField, a.commandField),
    us(TAG.messageIdBeingRespondedTo, a.messageIdBeingRespondedTo),
    us(TAG.commandDataSetType, NO_DATA_SET),
    us(TAG.status, a.status),
  ];
  if (a.sopClassUid) {
    elements.push(uid(TAG.affectedSopClassUid, a.sopClassUid));
  }
  if (a.sopInstanceUid) {
    elements.push(uid(TAG.affectedSopInstanceUid, a.sopInstanceUid));
  }
  if (a.errorComment !== undefined) {
    const raw = Buffer.from(a.errorComment, "latin1");
    elements.push({ tag: TAG.errorComment, value: raw.length % 2 === 0 ? raw : Buffer.concat([raw, Buffer.from(" ")]) });
  }

  return encodeElements(elements);
};

/** The parts of a command set we act on. */
export type TCommand = {
  commandField: number;
  messageId?: number;
  messageIdBeingRespondedTo?: number;
  dataSetType: number;
  status?: number;
  errorComment?: string;
  sopClassUid?: string;
  sopInstanceUid?: string;
};

/**
 * Decodes an Implicit VR LE command set.
 * @throws Error when an element runs past the end or Command Field is missing
 */
export const decodeCommand = (bytes: Buffer): TCommand => {
  const values = new Map<number, Buffer>();
  let at = 0;
  while (at < bytes.length) {
    if (at + 8 > bytes.length) {
      throw new Error(`command set: truncated element header at byte ${at}`);
    }
    const tag = ((bytes.readUInt16LE(at) << 16) | bytes.readUInt16LE(at + 2)) >>> 0;
    const length = bytes.readUInt32LE(at + 4);
    if (at + 8 + length > bytes.length) {
      throw new Error(`command set: element (${(tag >>> 16).toString(16)},${(tag & 0xffff).toString(16)}) runs past the end`);
    }
    values.set(tag, bytes.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  const u16 = (tag: number): number | undefined => {
    const v = values.get(tag);

    return v && v.length >= 2 ? v.readUInt16LE(0) : undefined;
  };
  const text = (tag: number): string | undefined => values.get(tag)?.toString("latin1").replace(/[\0 ]+$/, "");
  const commandField = u16(TAG.commandField);
  if (commandField === undefined) {
    throw new Error("command set without Command Field (0000,0100)");
  }

  return {
    commandField,
    messageId: u16(TAG.messageId),
    messageIdBeingRespondedTo: u16(TAG.messageIdBeingRespondedTo),
    dataSetType: u16(TAG.commandDataSetType) ?? NO_DATA_SET,
    status: u16(TAG.status),
    errorComment: text(TAG.errorComment),
    sopClassUid: text(TAG.affectedSopClassUid),
    sopInstanceUid: text(TAG.affectedSopInstanceUid),
  };
};
