import { describe, expect, it } from "vitest";
import { classifyResult, parseRetryAfter } from "@/lib/forwarding/classify-result";
import { parseStowResponse } from "@/lib/forwarding/parse-stow-response";
import type { TStowInstanceResult } from "@/lib/forwarding/stow-rs-client";

const UID = "2.25.1234";
const OTHER = "2.25.5678";
const result = (r: Partial<TStowInstanceResult>): TStowInstanceResult => ({
  sopInstanceUid: UID,
  status: 200,
  referenced: false,
  failed: false,
  ...r,
});

describe("classifyResult", () => {
  // [case, per-instance result, expected kind, expected detail fragment]
  const table: [string, Partial<TStowInstanceResult>, string, string][] = [
    ["200 referenced", { status: 200, referenced: true }, "stored", "HTTP 200"],
    ["202 referenced with warning B000", { status: 202, referenced: true, warningReason: 0xb000 }, "stored", "WarningReason 0xB000"],
    ["400 referenced (another part was unreadable)", { status: 400, referenced: true }, "stored", "HTTP 400"],
    ["200 not listed (chunked-request symptom)", { status: 200 }, "transient", "without the instance"],
    ["202 not listed", { status: 202 }, "transient", "without the instance"],
    ["connection refused", { status: null, networkError: "ECONNREFUSED: connect ECONNREFUSED" }, "transient", "ECONNREFUSED"],
    ["timeout", { status: null, networkError: "ETIMEDOUT: no progress for 100 ms" }, "transient", "ETIMEDOUT"],
    ["500", { status: 500 }, "transient", "HTTP 500"],
    ["503", { status: 503 }, "transient", "HTTP 503"],
    ["507 insufficient storage", { status: 507 }, "transient", "HTTP 507"],
    ["408", { status: 408 }, "transient", "HTTP 408"],
    ["429", { status: 429 }, "transient", "HTTP 429"],
    ["400 failed A700 (Orthanc Reject, newer plugin)", { status: 400, failed: true, failureReason: 0xa700 }, "transient", "0xA700 (out of resources)"],
    ["202 failed A7FF", { status: 202, failed: true, failureReason: 0xa7ff }, "transient", "0xA7FF"],
    ["409 failed 0110 processing failure", { status: 409, failed: true, failureReason: 0x0110 }, "transient", "0x0110 (processing failure)"],
    ["400 bare (Orthanc Reject, single instance)", { status: 400 }, "transient", "may be archive full"],
    ["409 failed C000", { status: 409, failed: true, failureReason: 0xc000 }, "permanent", "0xC000 (cannot understand)"],
    ["400 failed C122", { status: 400, failed: true, failureReason: 0xc122 }, "permanent", "0xC122"],
    ["409 failed A900", { status: 409, failed: true, failureReason: 0xa900 }, "permanent", "0xA900 (data set does not match SOP Class)"],
    ["409 failed 0122", { status: 409, failed: true, failureReason: 0x0122 }, "permanent", "SOP Class not supported"],
    ["403 failed 0124", { status: 403, failed: true, failureReason: 0x0124 }, "permanent", "not authorized"],
    ["415 failed C000", { status: 415, failed: true, failureReason: 0xc000 }, "permanent", "0xC000"],
    ["202 failed C000", { status: 202, failed: true, failureReason: 0xc000 }, "permanent", "0xC000"],
    ["409 failed 45070 (Microsoft: already stored)", { status: 409, failed: true, failureReason: 45070 }, "stored", "0xB00E (already stored)"],
    ["202 failed 45070 (Microsoft: already stored)", { status: 202, failed: true, failureReason: 45070 }, "stored", "0xB00E (already stored)"],
    ["409 failed, unknown vendor reason", { status: 409, failed: true, failureReason: 0xb123 }, "permanent", "0xB123"],
    ["503 failed, 45070 or another vendor reason", { status: 503, failed: true, failureReason: 45070 }, "transient", "HTTP 503"],
    ["409 bare", { status: 409 }, "permanent", "HTTP 409"],
    ["401", { status: 401 }, "permanent", "HTTP 401"],
    ["403", { status: 403 }, "permanent", "HTTP 403"],
    ["404 (wrong URL)", { status: 404 }, "permanent", "HTTP 404"],
    ["415", { status: 415 }, "permanent", "HTTP 415"],
    ["301", { status: 301 }, "permanent", "HTTP 301"],
    ["413 (request too large)", { status: 413 }, "permanent", "HTTP 413 (request too large"],
  ];

  it("keeps a WarningReason of a stored instance apart, for lastError", () => {
    expect(classifyResult(result({ status: 202, referenced: true, warningReason: 0xb007 })).warning).toBe("WarningReason 0xB007");
    expect(classifyResult(result({ status: 200, referenced: true })).warning).toBeUndefined();
  });

  it.each(table)("%s", (_name, input, kind, detail) => {
    const outcome = classifyResult(result(input));
    expect(outcome.kind).toBe(kind);
    expect(outcome.detail).toContain(detail);
  });
});

// Bodies as Orthanc 1.10.1 + DICOMweb 1.7 sent them (Specific Character Set and Retrieve URLs dropped).
const ORTHANC_200 = JSON.stringify({
  "00081198": { vr: "SQ" },
  "00081199": {
    vr: "SQ",
    Value: [{ "00081150": { vr: "UI", Value: ["1.2.840.10008.5.1.4.1.1.77.1.4"] }, "00081155": { vr: "UI", Value: [UID] } }],
  },
});
const ORTHANC_409 = JSON.stringify({
  "00081198": {
    vr: "SQ",
    Value: [{ "00081150": { vr: "UI", Value: ["1.2.840.10008.5.1.4.1.1.77.1.4"] }, "00081155": { vr: "UI", Value: [UID] }, "00081197": { vr: "US", Value: [272] } }],
  },
  "00081199": { vr: "SQ" },
});

describe("parseStowResponse", () => {
  it("reads Orthanc's 200 (ReferencedSOPSequence) and 409 (FailedSOPSequence, 272 = 0x0110)", () => {
    expect(parseStowResponse(ORTHANC_200).get(UID)).toEqual({ referenced: true, failed: false, warningReason: undefined });
    expect(parseStowResponse(ORTHANC_409).get(UID)).toEqual({ referenced: false, failed: true, failureReason: 0x0110 });
  });

  it("reads a 202 with one warning and one failure", () => {
    const body = JSON.stringify({
      "00081199": { vr: "SQ", Value: [{ "00081155": { vr: "UI", Value: [UID] }, "00081196": { vr: "US", Value: [0xb000] } }] },
      "00081198": { vr: "SQ", Value: [{ "00081155": { vr: "UI", Value: [OTHER] }, "00081197": { vr: "US", Value: [0xa700] } }] },
    });
    const entries = parseStowResponse(body);
    expect(entries.get(UID)).toEqual({ referenced: true, failed: false, warningReason: 0xb000 });
    expect(entries.get(OTHER)).toEqual({ referenced: false, failed: true, failureReason: 0xa700 });
  });

  it("lets a failure entry win over a reference for the same UID, accepts an array wrapper and decimal strings", () => {
    const body = JSON.stringify([
      {
        "00081199": { vr: "SQ", Value: [{ "00081155": { vr: "UI", Value: [UID] } }] },
        "00081198": { vr: "SQ", Value: [{ "00081155": { vr: "UI", Value: [UID] }, "00081197": { vr: "US", Value: ["49152"] } }] },
      },
    ]);
    expect(parseStowResponse(body).get(UID)).toEqual({ referenced: false, failed: true, failureReason: 0xc000 });
  });

  it("yields nothing for bodies that are not DICOM JSON", () => {
    for (const body of ["", "<NativeDicomModel/>", "null", "42", '{"00081199":{"vr":"SQ","Value":[1,"x",null]}}']) {
      expect(parseStowResponse(body).size).toBe(0);
    }
  });
});

describe("Retry-After", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("reads delta-seconds and HTTP-dates; ignores absent or unreadable values", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
  });

  it("goes with transient outcomes only (429, 503), noted in the detail", () => {
    const throttled = classifyResult(result({ status: 429, retryAfter: "7" }), now);
    expect(throttled).toMatchObject({ kind: "transient", retryAfterMs: 7000, detail: "HTTP 429, Retry-After 7 s" });
    expect(classifyResult(result({ status: 503, retryAfter: "Thu, 01 Jan 2026 00:01:00 GMT" }), now).retryAfterMs).toBe(60_000);
    expect(classifyResult(result({ status: 404, retryAfter: "7" }), now).retryAfterMs).toBeUndefined();
    expect(classifyResult(result({ status: 200, referenced: true, retryAfter: "7" }), now).retryAfterMs).toBeUndefined();
  });
});
