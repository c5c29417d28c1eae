/**
 * "Test connection" for a destination, as an admin would check it before relying on it: C-ECHO over a fresh
 * association for C-STORE destinations; a QIDO-RS query (`GET <base>/studies?limit=1`) for STOW-RS ones, which
 * proves the base URL points at a DICOMweb service (not just a web server). Never throws: the result says why.
 */
import type { TDb } from "../db";
import { AppError } from "../errors";
import { openAssociation } from "./dimse/dimse-client";
import { parseDimseUrl } from "./parse-dimse-url";

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

const testStow = async (url: string): Promise<string> => {
  const response = await fetch(`${url}/studies?limit=1`, {
    headers: { accept: "application/dicom+json" },
    signal: AbortSignal.timeout(5000),
  });
  await response.body?.cancel();
  if (response.status !== 200 && response.status !== 204) {
    throw new Error(`QIDO-RS ${url}/studies answered HTTP ${response.status}`);
  }

  return `QIDO-RS answered HTTP ${response.status}`;
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
    const detail = destination.kind === "dimse" ? await testDimse(destination.url) : await testStow(destination.url);

    return { ok: true, detail, ms: Math.round(performance.now() - started) };
  } catch (error) {
    const e = error as { message?: string; code?: string };

    return { ok: false, detail: e.message ?? e.code ?? "failed", ms: Math.round(performance.now() - started) };
  }
};
