/**
 * DIMSE C-STORE / C-ECHO service class user (PS3.4 Annexes A and B, PS3.7 §9.1.1, §9.1.5) on one association.
 *
 * - One operation at a time (asynchronous operations window 1, the default of PS3.7 §D.3.3.3); calls made while one
 *   runs wait their turn, so an association can be shared by a loop that sends many files.
 * - A file goes out only in its own transfer syntax: if its SOP Class × transfer syntax pair was not accepted, the
 *   store fails with a permanent `no-presentation-context` error and the association stays usable.
 * - The data set (the file after group 0002) is streamed from disk in P-DATA-TF PDUs no larger than the peer
 *   allows: a multi-GB video never sits in memory.
 * - A failure status (A7xx, A9xx, Cxxx, 0122 …) is returned, not thrown; thrown DimseErrors mean the association
 *   (or the file) could not be used, and `classifyDimseFailure` tells transient from permanent.
 */
import { contextKey, negotiateAssociation, notAcceptedMessage, type TAcceptedContext, type TAssociationParams, type TNegotiated } from "./associate";
import { COMMAND_FIELD, decodeCommand, encodeCEchoRq, encodeCStoreRq, NO_DATA_SET, VERIFICATION_SOP_CLASS, type TCommand } from "./command-set";
import { DEFAULT_STORAGE_PAIRS, IMPLICIT_VR_LITTLE_ENDIAN, type TStoragePair } from "./contexts";
import { classifyDimseStatus, DimseError, type TDimseStatusKind } from "./dimse-status";
import { encodeReleaseRq, PDU_HEADER_BYTES, PDV_OVERHEAD_BYTES, writePDataHeader } from "./pdu";
import { discardOpened, openPart10, type TPart10Reader } from "./part10-header";

/** PDUs are gathered up to this many bytes per writev (fewer syscalls for small files, bounded memory for large). */
const BATCH_BYTES = 256 * 1024;

/** What the archive answered to one C-STORE or C-ECHO. */
export type TDimseResult = { status: number; statusKind: TDimseStatusKind; errorComment?: string };

/** The identity a stored file must have; checked against its File Meta Information before sending. */
export type TStoreIdentity = { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string };

/** Options of TDimseAssociation.store. */
export type TStoreOptions = {
  priority?: number;
  /** `openPart10(filePath)` already started (the caller reads the next file ahead while the previous C-STORE is
   * answered); it is used instead of opening the file again, and closed in every case. */
  opened?: Promise<TPart10Reader>;
};

export type TDimseAssociation = {
  /** Accepted presentation contexts. */
  accepted: TAcceptedContext[];
  /** Proposed pairs the archive refused. */
  refused: TNegotiated["refused"];
  /** The archive's Maximum Length Received (0 = unlimited). */
  peerMaxPduLength: number;
  /** True when files of this SOP Class in this transfer syntax can be sent. */
  accepts: (sopClassUid: string, transferSyntaxUid: string) => boolean;
  /** C-STORE of a Part 10 file. */
  store: (filePath: string, identity: TStoreIdentity, options?: TStoreOptions) => Promise<TDimseResult>;
  /** C-ECHO ("test connection"). */
  echo: () => Promise<TDimseResult>;
  /** Orderly release (A-RELEASE-RQ/RP); the socket is closed afterwards, also on failure. */
  release: () => Promise<void>;
  /** A-ABORT and close at once. */
  abort: () => void;
  /** False once the association failed, was aborted or released. */
  isOpen: () => boolean;
};

/** Sends `bytes` as PDVs of one kind (command or data), fragmented to the peer's limit, one PDU per fragment. */
const pdusFor = (contextId: number, isCommand: boolean, bytes: Buffer, maxFragment: number): Buffer[] => {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length || at === 0; at += maxFragment) {
    const fragment = bytes.subarray(at, at + maxFragment);
    const pdu = Buffer.allocUnsafe(PDU_HEADER_BYTES + PDV_OVERHEAD_BYTES + fragment.length);
    writePDataHeader(pdu, { contextId, isCommand, isLast: at + maxFragment >= bytes.length, fragmentLength: fragment.length });
    fragment.copy(pdu, PDU_HEADER_BYTES + PDV_OVERHEAD_BYTES);
    out.push(pdu);
  }

  return out;
};

const wrap = (n: TNegotiated): TDimseAssociation => {
  const { link, timeouts, maxFragment } = n;
  let messageId = 0;
  let turn: Promise<unknown> = Promise.resolve();
  const serialize = <T>(op: () => Promise<T>): Promise<T> => {
    const run = turn.then(op, op);
    turn = run.catch(() => undefined);

    return run;
  };
  const nextMessageId = (): number => (messageId = (messageId % 0xffff) + 1);
  const protocolError = (message: string): DimseError => {
    const err = new DimseError("protocol-error", "transient", message);
    link.abort(2, 2, err);

    return err;
  };

  /** Reads one complete DIMSE response (command, and data set if any) on `contextId`. */
  const readResponse = async (contextId: number, what: string): Promise<TCommand> => {
    const command: Buffer[] = [];
    let decoded: TCommand | undefined;
    const timedOut = (): DimseError => new DimseError("dimse-timeout", "transient", `no ${what} response within ${timeouts.dimseMs} ms`);
    for (;;) {
      const pdu = await link.receive(timeouts.dimseMs, timedOut);
      if (pdu.type !== "p-data") {
        throw protocolError(`expected the ${what} response, received ${pdu.type}`);
      }
      for (const pdv of pdu.pdvs) {
        if (pdv.contextId !== contextId) {
          throw protocolError(`the ${what} response came on presentation context ${pdv.contextId}, not ${contextId}`);
        }
        if (pdv.isCommand && !decoded) {
          command.push(pdv.data);
          if (pdv.isLast) {
            try {
              decoded = decodeCommand(Buffer.concat(command));
            } catch (err) {
              throw protocolError(`unreadable ${what} response: ${(err as Error).message}`);
            }
            if (decoded.dataSetType === NO_DATA_SET) {
              return decoded;
            }
          }
        } else if (!pdv.isCommand && decoded && pdv.isLast) {
          return decoded; // a response data set is not used by C-STORE/C-ECHO; its bytes are dropped
        } else if (pdv.isCommand || !decoded) {
          throw protocolError(`unexpected ${pdv.isCommand ? "command" : "data"} fragment in the ${what} response`);
        }
      }
    }
  };

  const checkResponse = (rsp: TCommand, expected: number, id: number, what: string): TDimseResult => {
    if (rsp.commandField !== expected || rsp.messageIdBeingRespondedTo !== id || rsp.status === undefined) {
      throw protocolError(`${what}: response command 0x${rsp.commandField.toString(16)} for message ${rsp.messageIdBeingRespondedTo} does not answer message ${id}`);
    }

    return {
      status: rsp.status, statusKind: classifyDimseStatus(rsp.status).kind,
      ...(rsp.errorComment ? { errorComment: rsp.errorComment } : {}),
    };
  };

  const contextFor = (sopClassUid: string, transferSyntaxUid: string): TAcceptedContext => {
    const pc = n.accepted.get(contextKey(sopClassUid, transferSyntaxUid));
    if (!pc) {
      throw new DimseError("no-presentation-context", "permanent", notAcceptedMessage(sopClassUid, transferSyntaxUid));
    }

    return pc;
  };

  /** Streams the data set as P-DATA-TF PDUs; up to BATCH_BYTES of PDUs leave in one corked writev. */
  const sendDataset = async (file: TPart10Reader, contextId: number, command: Buffer[]): Promise<void> => {
    const datasetLength = file.header.size - file.header.datasetOffset;
    let batch = command;
    let batchBytes = 0;
    for (let sent = 0; sent < datasetLength;) {
      const length = Math.min(maxFragment, datasetLength - sent);
      const pdu = Buffer.allocUnsafe(PDU_HEADER_BYTES + PDV_OVERHEAD_BYTES + length);
      writePDataHeader(pdu, { contextId, isCommand: false, isLast: sent + length === datasetLength, fragmentLength: length });
      await file.fill(pdu, PDU_HEADER_BYTES + PDV_OVERHEAD_BYTES, length, sent);
      sent += length;
      batch.push(pdu);
      batchBytes += pdu.length;
      if (batchBytes >= BATCH_BYTES || sent === datasetLength) {
        await link.send(batch, timeouts.dimseMs);
        batch = [];
        batchBytes = 0;
      }
    }
  };

  const storeNow = async (filePath: string, identity: TStoreIdentity, options: TStoreOptions): Promise<TDimseResult> => {
    const priority = options.priority ?? 0;
    let pc: TAcceptedContext;
    try {
      if (link.failure) {
        throw link.failure;
      }
      pc = contextFor(identity.sopClassUid, identity.transferSyntaxUid);
    } catch (err) {
      discardOpened(options.opened);
      throw err;
    }
    const file = await (options.opened ?? openPart10(filePath));
    let id: number;
    try {
      const { header } = file;
      for (const key of ["sopClassUid", "sopInstanceUid", "transferSyntaxUid"] as const) {
        if (header[key] !== identity[key]) {
          throw new DimseError("invalid-file", "permanent", `${filePath}: File Meta says ${key} ${header[key]}, the delivery expects ${identity[key]}`);
        }
      }
      if (header.size <= header.datasetOffset) {
        throw new DimseError("invalid-file", "permanent", `${filePath} has no data set after its File Meta Information`);
      }
      id = nextMessageId();
      const command = pdusFor(pc.id, true, encodeCStoreRq({ messageId: id, ...identity, priority }), maxFragment);
      try {
        await sendDataset(file, pc.id, command);
      } catch (err) {
        // Half a message is on the wire: the association cannot carry another one (PS3.8 §9.3.5).
        const reason = err instanceof DimseError ? err : new DimseError("invalid-file", "transient", `${filePath}: ${(err as Error).message}`);
        link.abort(0, 0, new DimseError("association-closed", "transient", `the association was aborted after a failed send: ${reason.message}`));
        throw reason;
      }
    } finally {
      // Not awaited: closing the file need not hold up reading the archive's answer.
      void file.close().catch(() => undefined);
    }

    return checkResponse(await readResponse(pc.id, "C-STORE"), COMMAND_FIELD.cStoreRsp, id, "C-STORE");
  };

  const echoNow = async (): Promise<TDimseResult> => {
    const pc = contextFor(VERIFICATION_SOP_CLASS, IMPLICIT_VR_LITTLE_ENDIAN);
    const id = nextMessageId();
    await link.send(pdusFor(pc.id, true, encodeCEchoRq(id), maxFragment), timeouts.dimseMs);

    return checkResponse(await readResponse(pc.id, "C-ECHO"), COMMAND_FIELD.cEchoRsp, id, "C-ECHO");
  };

  const releaseNow = async (): Promise<void> => {
    if (link.failure) {
      return;
    }
    await link.send([encodeReleaseRq()], timeouts.associateMs);
    const pdu = await link.receive(timeouts.associateMs, () =>
      new DimseError("release-timeout", "transient", `no A-RELEASE-RP within ${timeouts.associateMs} ms`));
    if (pdu.type !== "release-rp") {
      throw protocolError(`expected A-RELEASE-RP, received ${pdu.type}`);
    }
    link.close();
  };

  return {
    accepted: [...n.accepted.values()],
    refused: n.refused,
    peerMaxPduLength: n.peer.maxPduLength,
    accepts: (sopClassUid, transferSyntaxUid) => n.accepted.has(contextKey(sopClassUid, transferSyntaxUid)),
    store: (filePath, identity, options) => serialize(() => storeNow(filePath, identity, options ?? {})),
    echo: () => serialize(echoNow),
    release: () => serialize(releaseNow),
    abort: () => link.abort(0, 0, new DimseError("association-closed", "transient", "the association was aborted by us")),
    isOpen: () => !link.failure,
  };
};

/**
 * Opens an association to a storage SCP.
 * @param params - host, port, AE titles, pairs to propose (default DEFAULT_STORAGE_PAIRS), timeouts, PDU limits
 * @returns the association: store(), echo(), release(), abort()
 * @throws DimseError when the connection or negotiation fails (see dimse-status.ts for the classification)
 */
export const openAssociation = async (params: TAssociationParams): Promise<TDimseAssociation> =>
  wrap(await negotiateAssociation(params, DEFAULT_STORAGE_PAIRS));

export type { TAssociationParams, TStoragePair };
