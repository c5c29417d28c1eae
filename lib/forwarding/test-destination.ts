/**
 * "Test connection" for a destination, as an admin would check it before relying on it: C-ECHO over a fresh
 * association for C-STORE destinations; a QIDO-RS query (`GET <base>/studies?limit=1`) for STOW-RS ones, which
 * proves the base URL points at a DICOMweb service (not just a web server), through the same agent (custom CA) and
 * Authorization header as deliveries (stow-transport.ts). Never throws: the result says why.
 */
import http from "node:http";
import https from "node:https";
import type { TDb } from "../db";
import { AppError } from "../errors";
import { openAssociation } from "./dimse/dimse-client";
import { parseDimseUrl } from "./parse-dimse-url";
import { createStowTransport, describeNetworkError, type TStowAuthConfig } from "./stow-transport";

export type TConnectionTest = { ok: boolean; detail: string; ms: number };

const testDimse = async (url: string): Promise<string> => {
  const target = parseDimseUrl(url);
  const association = await openAssociation({ ...target, contexts: [], timeouts: { connectMs: 5000, associateMs: 5000, dimseMs: 5000 } });
  try {
    const r = await association.echo();
    if (r.statusKind !== "success") {
      throw new Error(`C-ECHO answered status 0x${r.status.toString(16).padStart(4, "0")}`);
    }

    return `C-ECHO accepted by ${target.calledAet} at ${target.host}:${target.port}`;
  } finally {
    await association.release().catch(() => association.abort());
  }
};

const get = (url: URL, agent: http.Agent, headers: Record<string, string>): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = (url.protocol === "https:" ? https : http).request(url, { agent, headers: { ...headers, Accept: "application/dicom+json" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(5000, () => req.destroy(Object.assign(new Error("no answer within 5 s"), { code: "ETIMEDOUT" })));
    req.on("error", (err: Error & { code?: string }) => reject(new Error(describeNetworkError(err))));
    req.end();
  });

const testStow = async (config: TStowAuthConfig): Promise<string> => {
  const transport = createStowTransport(config);
  try {
    const status = await get(new URL(`${config.url}/studies?limit=1`), transport.agent, transport.headers);
    if (status === 401 || status === 403) {
      throw new Error(`QIDO-RS ${config.url}/studies answered HTTP ${status}: check the destination's authentication`);
    }
    if (status !== 200 && status !== 204) {
      throw new Error(`QIDO-RS ${config.url}/studies answered HTTP ${status}`);
    }

    return `QIDO-RS answered HTTP ${status}`;
  } finally {
    transport.agent.destroy();
  }
};

/**
 * @param db - database client
 * @param id - destination id
 * @returns ok, a PHI-free explanation and how long it took
 */
export const testDestination = async (db: TDb, id: string): Promise<TConnectionTest> => {
  const destination = await db.destination.findUnique({ where: { id } });
  if (!destination) {
    throw new AppError("not_found", "no such destination");
  }
  const started = performance.now();
  try {
    const detail = destination.kind === "dimse" ? await testDimse(destination.url) : await testStow(destination);

    return { ok: true, detail, ms: Math.round(performance.now() - started) };
  } catch (error) {
    const e = error as { message?: string; code?: string };

    return { ok: false, detail: e.message ?? e.code ?? "failed", ms: Math.round(performance.now() - started) };
  }
};
