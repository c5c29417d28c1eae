/**
 * Sends a batch of Part 10 files over one association: propose exactly the pairs the files need, store each in
 * turn, release. Every file gets one outcome; nothing throws for a per-file or per-association failure.
 */
import type { TAssociationParams } from "./associate";
import { openAssociation, type TDimseAssociation, type TStoreIdentity } from "./dimse-client";
import { classifyDimseFailure, DimseError, describeDimseStatus, type TDimseStatusKind } from "./dimse-status";
import { discardOpened, openPart10, readPart10Header, type TPart10Reader } from "./part10-header";

/** A file to send; the identity is read from its File Meta Information when absent. */
export type TStoreFile = { path: string } & Partial<TStoreIdentity>;

/** What happened to one file. */
export type TStoreFileOutcome = {
  path: string;
  sopInstanceUid?: string;
  /** success/warning: stored; transient: retry later; permanent: do not retry. */
  statusKind: TDimseStatusKind;
  /** DIMSE status when the archive answered. */
  status?: number;
  errorComment?: string;
  /** Why, when there was no status (association or file failure). */
  error?: DimseError;
  /** One PHI-free line for logs and lastError. */
  detail: string;
};

const failed = (file: TStoreFile, err: unknown, sopInstanceUid?: string): TStoreFileOutcome => {
  const error = err instanceof DimseError ? err : new DimseError("connection-closed", classifyDimseFailure(err), String((err as Error)?.message ?? err));

  return { path: file.path, sopInstanceUid, statusKind: error.kind, error, detail: error.message };
};

const identityOf = async (file: TStoreFile): Promise<TStoreIdentity> => {
  if (file.sopClassUid && file.sopInstanceUid && file.transferSyntaxUid) {
    return { sopClassUid: file.sopClassUid, sopInstanceUid: file.sopInstanceUid, transferSyntaxUid: file.transferSyntaxUid };
  }
  const h = await readPart10Header(file.path);

  return { sopClassUid: h.sopClassUid, sopInstanceUid: h.sopInstanceUid, transferSyntaxUid: h.transferSyntaxUid };
};

/**
 * C-STORE of `files` on one association, in order.
 * @param target - host, port, AE titles, timeouts; `contexts` defaults to exactly the pairs of `files`
 * @param files - Part 10 files, with their identity when known
 * @param progress - onStored(index) after each file the archive answered (throughput measurement)
 * @returns one outcome per file, in the same order
 */
export const cStoreFiles = async (
  target: TAssociationParams,
  files: TStoreFile[],
  progress: { onStored?: (index: number) => void } = {},
): Promise<TStoreFileOutcome[]> => {
  if (files.length === 0) {
    return [];
  }
  const identities: (TStoreIdentity | DimseError)[] = [];
  for (const f of files) {
    identities.push(await identityOf(f).catch((err: unknown) =>
      err instanceof DimseError ? err : new DimseError("invalid-file", "permanent", `${f.path}: ${(err as Error).message}`)));
  }
  const pairs = identities.flatMap((i) => (i instanceof DimseError ? [] : [{ sopClassUid: i.sopClassUid, transferSyntaxUid: i.transferSyntaxUid }]));
  const outcomes: TStoreFileOutcome[] = [];
  let association: TDimseAssociation | undefined;
  try {
    association = await openAssociation({ ...target, contexts: target.contexts ?? pairs });
  } catch (err) {
    return files.map((f, i) => failed(f, identities[i] instanceof DimseError ? identities[i] : err));
  }
  let broken: DimseError | undefined;
  /** Start reading file i (its header and first MiB) now; undefined when it will not be sent. */
  const readAhead = (i: number): Promise<TPart10Reader> | undefined => {
    const file = files[i];
    if (!file || identities[i] instanceof DimseError || broken) {
      return undefined;
    }
    const opened = openPart10(file.path);
    opened.catch(() => undefined); // store() reports the failure when it is this file's turn
    return opened;
  };
  let ahead = readAhead(0);
  for (const [i, file] of files.entries()) {
    const identity = identities[i]!;
    const opened = ahead;
    if (identity instanceof DimseError || broken) {
      discardOpened(opened);
      ahead = readAhead(i + 1);
      outcomes.push(failed(file, identity instanceof DimseError ? identity : broken));
      continue;
    }
    // The next file is read while this one is sent and the archive answers (no disk wait between two C-STOREs).
    ahead = readAhead(i + 1);
    try {
      const r = await association.store(file.path, identity, { opened });
      outcomes.push({ path: file.path, sopInstanceUid: identity.sopInstanceUid, ...r, detail: describeDimseStatus(r.status) + (r.errorComment ? `: ${r.errorComment}` : "") });
      progress.onStored?.(i);
    } catch (err) {
      outcomes.push(failed(file, err, identity.sopInstanceUid));
      if (!association.isOpen()) {
        broken = err instanceof DimseError && err.kind === "transient"
          ? err
          : new DimseError("association-closed", "transient", "not sent: the association failed on an earlier file");
      }
    }
  }
  discardOpened(ahead);
  if (broken) {
    association.abort();
  } else {
    await association.release().catch(() => association?.abort());
  }

  return outcomes;
};
