/**
 * QIDO-RS confirmation of a STOW-RS success (Destination.verifyWithQido): `GET <base>/instances?SOPInstanceUID=<uid>`
 * (PS3.18 §10.6, Search Transaction, instance level) must return the instance before the delivery counts as stored.
 * It guards against an archive that acknowledges and then does not keep the object (Orthanc once answered 200 to a
 * chunked STOW and stored nothing, ImagingDataCommons/dicomweb-client#42; reliability-matrix.md §2.1).
 *
 * Only STOW-RS destinations are verified: for a C-STORE destination the flag is ignored (a C-FIND SCU is not
 * implemented; the C-STORE success status is the archive's confirmation).
 *
 * Any answer other than "found" is transient: a 200 with an empty array (or 204) says "not there (yet)", which a
 * re-send fixes (the same SOP Instance UID and bytes, idempotent at the archive); an error status or a network
 * failure says nothing either way.
 */
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import type { TDb } from "../db";
import type { TDeliveryOutcome } from "./classify-result";
import { authorizationHeaders } from "./stow-transport";

const TAG_SOP_INSTANCE_UID = "00080018";
/** QIDO answers for one UID are tiny; bound what we read. */
const MAX_BODY_BYTES = 1024 * 1024;

export type TQidoTarget = {
  /** DICOMweb base URL (the one STOW-RS posts under). */
  baseUrl: string;
  /** Authorization header value for the archive ("Basic …" / "Bearer …"), when it needs one. */
  authorization?: string;
  /** PEM of extra CAs for an https archive. */
  caCertPem?: string;
};

type TAnswer = { status: number; body: string };

const get = (url: URL, target: TQidoTarget, timeoutMs: number): Promise<TAnswer> =>
  new Promise((resolve, reject) => {
    const transport = url.protocol === "https:" ? https : http;
    const headers: Record<string, string> = { Accept: "application/dicom+json" };
    if (target.authorization) {
      headers.Authorization = target.authorization;
    }
    const req = transport.request(url, {
      method: "GET",
      headers,
      ...(url.protocol === "https:" && target.caCertPem ? { ca: [...tls.rootCertificates, target.caCertPem] } : {}),
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer for ${timeoutMs} ms`), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) {
          req.destroy(new Error("QIDO-RS answer too large"));
        } else {
          chunks.push(c);
        }
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.end();
  });

const lists = (body: string, sopInstanceUid: string): boolean => {
  try {
    const parsed: unknown = JSON.parse(body);
    if (!Array.isArray(parsed)) {
      return false;
    }

    return parsed.some((item: unknown) => {
      const values = (item as Record<string, { Value?: unknown[] } | undefined> | null)?.[TAG_SOP_INSTANCE_UID]?.Value;

      return Array.isArray(values) && values.includes(sopInstanceUid);
    });
  } catch {
    return false;
  }
};

/**
 * Ask the archive whether it holds the instance.
 * @param target - DICOMweb base URL and credentials
 * @param sopInstanceUid - the instance just stored
 * @param timeoutMs - inactivity timeout of the query
 * @returns "verified" when the archive lists it, else a transient outcome saying why
 */
export const verifyStored = async (
  target: TQidoTarget,
  sopInstanceUid: string,
  timeoutMs: number,
): Promise<"verified" | TDeliveryOutcome> => {
  let answer: TAnswer;
  try {
    const url = new URL(`${target.baseUrl.replace(/\/+$/, "")}/instances`);
    url.searchParams.set("SOPInstanceUID", sopInstanceUid);
    answer = await get(url, target, timeoutMs);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;

    return { kind: "transient", detail: `archive confirmed the store, but the QIDO-RS check got no answer (${e.code ?? e.message})` };
  }
  if (answer.status === 200 && lists(answer.body, sopInstanceUid)) {
    return "verified";
  }
  if (answer.status === 200 || answer.status === 204) {
    return { kind: "transient", detail: "archive confirmed the store, but QIDO-RS does not find the instance (not stored; will re-send)" };
  }

  return { kind: "transient", detail: `archive confirmed the store, but the QIDO-RS check answered HTTP ${answer.status}` };
};

/**
 * When the destination asks for it (verifyWithQido), turn each "stored" outcome into stored-and-verified
 * (verifiedAt set) or a transient "not found" (the job is re-sent later). Other outcomes pass unchanged; without
 * the flag nothing is queried.
 * @param db - database client (reads the destination's flag and credentials)
 * @param destinationId - the STOW-RS destination of the request
 * @param sopInstanceUids - the instances of the request, in the order of `outcomes`
 * @param outcomes - classified STOW-RS results
 * @param timeoutMs - per query
 */
export const confirmWithQido = async (
  db: TDb,
  destinationId: string,
  sopInstanceUids: string[],
  outcomes: TDeliveryOutcome[],
  timeoutMs: number,
): Promise<TDeliveryOutcome[]> => {
  if (!outcomes.some((o) => o.kind === "stored")) {
    return outcomes;
  }
  const destination = await db.destination.findUnique({
    where: { id: destinationId },
    select: { verifyWithQido: true, kind: true, url: true, authType: true, authUsername: true, authSecret: true, caCertPem: true },
  });
  if (!destination?.verifyWithQido || destination.kind !== "stow-rs") {
    return outcomes;
  }
  const target: TQidoTarget = { baseUrl: destination.url, authorization: authorizationHeaders(destination).Authorization, caCertPem: destination.caCertPem || undefined };

  return Promise.all(
    outcomes.map(async (outcome, i) => {
      const uid = sopInstanceUids[i];
      if (outcome.kind !== "stored" || !uid) {
        return outcome;
      }
      const verdict = await verifyStored(target, uid, timeoutMs);

      return verdict === "verified" ? { ...outcome, detail: `${outcome.detail}, verified by QIDO-RS`, verifiedAt: new Date() } : verdict;
    }),
  );
};
