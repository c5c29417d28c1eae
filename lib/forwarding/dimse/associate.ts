/**
 * Association establishment (PS3.8 §7.1, §9.3.2–§9.3.4): A-ASSOCIATE-RQ out, then A-ASSOCIATE-AC (which pairs
 * were accepted, the acceptor's maximum PDU length), A-ASSOCIATE-RJ (a clear, classified error) or A-ABORT.
 */
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "@/lib/dicom/uids";
import { buildPresentationContexts, nameSopClass, nameTransferSyntax, type TStoragePair } from "./contexts";
import { DimseError, describeRejection } from "./dimse-status";
import { Link } from "./link";
import { encodeAssociateRq, type TAssociateAc } from "./pdu";

/** Timeouts in milliseconds. */
export type TDimseTimeouts = {
  /** TCP connect. */
  connectMs: number;
  /** A-ASSOCIATE-RQ → AC/RJ, and A-RELEASE-RQ → RP. */
  associateMs: number;
  /** C-STORE/C-ECHO response after the request was sent, and a peer that stops reading while we send. */
  dimseMs: number;
};

export const DEFAULT_DIMSE_TIMEOUTS: TDimseTimeouts = { connectMs: 10_000, associateMs: 30_000, dimseMs: 60_000 };

export type TAssociationParams = {
  host: string;
  port: number;
  callingAet: string;
  calledAet: string;
  /** SOP Class × transfer syntax pairs to propose; default DEFAULT_STORAGE_PAIRS. Verification is always added. */
  contexts?: readonly TStoragePair[];
  timeouts?: Partial<TDimseTimeouts>;
  /** Largest P-DATA-TF we receive (Maximum Length Received we announce); default 65,536. */
  maxPduLength?: number;
  /** Largest P-DATA-TF we send even if the peer allows more; default 1 MiB. */
  maxSendPduLength?: number;
};

/** An accepted presentation context. */
export type TAcceptedContext = { id: number; sopClassUid: string; transferSyntaxUid: string };

export type TNegotiated = {
  link: Link;
  /** Accepted contexts by `${sopClassUid}|${transferSyntaxUid}`. */
  accepted: Map<string, TAcceptedContext>;
  /** Pairs the archive refused, with the result code (PS3.8 Table 9-18: 1 user, 2 no reason, 3 abstract, 4 transfer syntax). */
  refused: (TStoragePair & { result: number })[];
  /** Largest fragment of a PDV we may send: the peer's limit (or ours) minus the PDV overhead. */
  maxFragment: number;
  peer: Pick<TAssociateAc, "maxPduLength" | "implementationClassUid" | "implementationVersionName">;
  timeouts: TDimseTimeouts;
};

export const contextKey = (sopClassUid: string, transferSyntaxUid: string): string => `${sopClassUid}|${transferSyntaxUid}`;

/** "archive does not accept VL Photographic Image (…) in JPEG Baseline (…)" */
export const notAcceptedMessage = (sopClassUid: string, transferSyntaxUid: string): string =>
  `archive does not accept ${nameSopClass(sopClassUid)} in ${nameTransferSyntax(transferSyntaxUid)}`;

const readAc = async (link: Link, timeouts: TDimseTimeouts, target: string): Promise<TAssociateAc> => {
  const pdu = await link.receive(timeouts.associateMs, () =>
    new DimseError("association-timeout", "transient", `${target} did not answer the association request within ${timeouts.associateMs} ms`));
  if (pdu.type === "associate-rj") {
    link.close();
    throw new DimseError("association-rejected", pdu.result === 1 ? "permanent" : "transient",
      `${target}: ${describeRejection(pdu.result, pdu.source, pdu.reason)}`, { result: pdu.result, source: pdu.source, reason: pdu.reason });
  }
  if (pdu.type !== "associate-ac") {
    const err = new DimseError("protocol-error", "transient", `${target} answered the association request with ${pdu.type}`);
    link.abort(2, 2, err);
    throw err;
  }

  return pdu.ac;
};

/**
 * Connects and negotiates an association.
 * @throws DimseError: connect-failed / connect-timeout / association-timeout / aborted / protocol-error (transient),
 *   association-rejected (permanent when the RJ result is rejected-permanent)
 */
export const negotiateAssociation = async (params: TAssociationParams, defaults: readonly TStoragePair[]): Promise<TNegotiated> => {
  const timeouts = { ...DEFAULT_DIMSE_TIMEOUTS, ...params.timeouts };
  const maxPduLength = params.maxPduLength ?? 65_536;
  const target = `${params.calledAet}@${params.host}:${params.port}`;
  const proposed = buildPresentationContexts(params.contexts ?? defaults);
  const rq = encodeAssociateRq({
    calledAet: params.calledAet, callingAet: params.callingAet, contexts: proposed, maxPduLength,
    implementationClassUid: IMPLEMENTATION_CLASS_UID, implementationVersionName: IMPLEMENTATION_VERSION_NAME,
  });
  const link = await Link.connect(params.host, params.port, timeouts.connectMs, maxPduLength === 0 ? 16 * 1024 * 1024 : maxPduLength);
  await link.send([rq], timeouts.associateMs);
  const ac = await readAc(link, timeouts, target);
  const accepted = new Map<string, TAcceptedContext>();
  const refused: TNegotiated["refused"] = [];
  for (const pc of proposed) {
    const answer = ac.contexts.find((c) => c.id === pc.id);
    const ts = pc.transferSyntaxes[0]!;
    // An acceptor must answer with one of the proposed syntaxes (PS3.8 §9.3.3.2); anything else counts as refused.
    if (answer && answer.result === 0 && answer.transferSyntax === ts) {
      accepted.set(contextKey(pc.abstractSyntax, ts), { id: pc.id, sopClassUid: pc.abstractSyntax, transferSyntaxUid: ts });
    } else {
      refused.push({ sopClassUid: pc.abstractSyntax, transferSyntaxUid: ts, result: answer?.result ?? 2 });
    }
  }
  const sendLimit = params.maxSendPduLength ?? 1024 * 1024;
  const peerLimit = ac.maxPduLength === 0 ? sendLimit : Math.min(ac.maxPduLength, sendLimit);
  if (peerLimit < 64) {
    const err = new DimseError("protocol-error", "transient", `${target} announced a maximum PDU length of ${ac.maxPduLength} bytes`);
    link.abort(0, 0, err);
    throw err;
  }

  return {
    link, accepted, refused, maxFragment: peerLimit - 6, timeouts,
    peer: { maxPduLength: ac.maxPduLength, implementationClassUid: ac.implementationClassUid, implementationVersionName: ac.implementationVersionName },
  };
};
