/**
 * Malformed input against the listener process (reliability-matrix §5 row 8): ~300 mutations of valid ADT
 * messages (missing MSH-10, bad MSH-9 / MSH-12 / MSH-18, wrong delimiters, truncation, damaged segment names,
 * invalid UTF-8, bad dates, NUL bytes, binary garbage in a frame) each get exactly one AE/AR ACK with an ERR
 * segment and the right MSA-2, and are stored; garbage outside any frame gets nothing and does not disturb the
 * next valid frame on the same connection. The listener process stays up, keeps serving valid traffic, and its RSS
 * grows by less than 50 MB.
 *
 * Size: HL7_FUZZ_CASES (default 300), HL7_FUZZ_SEED.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frame, MLLP_FS, MLLP_VT } from "@/lib/hl7/mllp-framer";
import { envInt, generateAdtTraffic, hl7Field, runDriver, seededRandom, type TGeneratedMessage } from "../../support/hl7-driver";
import { startListenerProcess, type TListenerProcess } from "../../support/hl7-listener-process";
import { openWire } from "../../support/hl7-wire";
import { freePort } from "../../support/free-port";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const CASES = envInt("HL7_FUZZ_CASES", 300);
const SEED = envInt("HL7_FUZZ_SEED", 4242);
const CONNECTIONS = 4;

type TCase = {
  kind: string;
  payload: Buffer;
  /** Expected MSA-2, or undefined when the mutation may have damaged the header (not checked then). */
  msa2: string | undefined;
  /** Allowed MSA-1 codes. */
  codes: string[];
};

/** Replace the n-th field (MSH numbering) of the MSH segment. */
const withMshField = (text: string, position: number, value: string): string => {
  const [msh, ...rest] = text.split("\r");
  const fields = msh!.split("|");
  fields[position - 1] = value;

  return [fields.join("|"), ...rest].join("\r");
};

/** Replace field n of the first segment named seg (not MSH). */
const withField = (text: string, seg: string, position: number, value: string): string =>
  text
    .split("\r")
    .map((line) => {
      if (!line.startsWith(`${seg}|`)) {
        return line;
      }
      const fields = line.split("|");
      fields[position] = value;

      return fields.join("|");
    })
    .join("\r");

/** Random bytes that contain no MLLP control byte (VT, FS), so the frame stays one frame. */
const noiseBytes = (random: () => number, length: number): Buffer =>
  Buffer.from(
    Array.from({ length }, () => {
      const b = Math.floor(random() * 256);

      return b === MLLP_VT || b === MLLP_FS ? 0x41 : b;
    }),
  );

const buildCases = (base: TGeneratedMessage[], count: number, random: () => number): TCase[] => {
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
  const makers: Array<(m: TGeneratedMessage) => TCase> = [
    (m) => ({ kind: "no MSH-10", payload: Buffer.from(withMshField(m.text, 10, "")), msa2: "", codes: ["AE"] }),
    (m) => ({
      kind: "bad MSH-9",
      payload: Buffer.from(withMshField(m.text, 9, pick(["", "ORU^R01", "XYZ^A01", "ADT^Z99", "ADT^A99^ADT_A01", "^A01", "QRY^Q01"]))),
      msa2: m.controlId,
      codes: ["AR"],
    }),
    (m) => ({
      kind: "bad MSH-12",
      payload: Buffer.from(withMshField(m.text, 12, pick(["", "9.9", "2.1", "abc", "1.0", "X", "2.2", "3.0"]))),
      msa2: m.controlId,
      codes: ["AR"],
    }),
    (m) => ({
      kind: "bad MSH-18",
      payload: Buffer.from(withMshField(m.text, 18, pick(["EBCDIC", "ISO IR87", "UTF-16", "xyz"]))),
      msa2: m.controlId,
      codes: ["AR"],
    }),
    (m) => {
      // Wrong delimiters: MSH declares one field separator, the rest of the message uses another.
      const sep = pick(["#", "^", "~", "!"]);
      const text = m.text.replace(/^MSH\|/, `MSH${sep}`).replace(/^([^\r]*)/, (msh) => msh.slice(0, 4) + msh.slice(4).replaceAll("|", sep));

      // Fields shift, so MSH-15/16 may look filled: enhanced-mode CE/CR are negative answers too.
      return { kind: "wrong delimiters", payload: Buffer.from(text.replace(/\rPID\|/, "\rPID;").replace(/\rPV1\|/, "\rPV1;")), msa2: undefined, codes: ["AE", "AR", "CE", "CR"] };
    },
    (m) => {
      const cut = 3 + Math.floor(random() * (m.text.indexOf("\rPV1|") - 3));

      return { kind: "truncated", payload: m.payload.subarray(0, cut), msa2: undefined, codes: ["AE", "AR"] };
    },
    (m) => {
      const seg = pick(["PID", "PV1"]);
      const damaged = m.text.replace(`\r${seg}|`, `\r${seg.slice(0, 2)}${pick(["X", "Q", "0", "_"])}|`);

      return { kind: `damaged ${seg} name`, payload: Buffer.from(damaged), msa2: m.controlId, codes: ["AE"] };
    },
    (m) => ({ kind: "damaged MSH name", payload: Buffer.from(`MXH${m.text.slice(3)}`), msa2: "", codes: ["AR"] }),
    (m) => {
      // Invalid UTF-8 inside PID-5 while MSH-18 says UNICODE UTF-8.
      const at = m.payload.indexOf(Buffer.from("\rPID|")) + 12;
      const bad = Buffer.concat([m.payload.subarray(0, at), Buffer.from([0xff, 0xfe, 0xc3]), m.payload.subarray(at)]);

      return { kind: "invalid UTF-8", payload: bad, msa2: m.controlId, codes: ["AE"] };
    },
    (m) => {
      const where = pick(["EVN-2", "PID-7", "PID-8"]);
      const text =
        where === "EVN-2"
          ? withField(m.text, "EVN", 2, pick(["20241399", "2024-01-01", "yesterday", "2024013"]))
          : where === "PID-7"
            ? withField(m.text, "PID", 7, pick(["19801340", "19800230", "abc"]))
            : withField(m.text, "PID", 8, pick(["XY", "male", "ZZ"]));

      return { kind: `bad ${where}`, payload: Buffer.from(text), msa2: m.controlId, codes: ["AE"] };
    },
    (m) => ({ kind: "no PID-3", payload: Buffer.from(withField(m.text, "PID", 3, "")), msa2: m.controlId, codes: ["AE"] }),
    (m) => {
      // NUL bytes in the header before MSH-10 shift nothing but damage the version: still one frame, one answer.
      const text = withMshField(m.text, 12, "2.\u00005.1");

      return { kind: "NUL in MSH-12", payload: Buffer.from(text), msa2: m.controlId, codes: ["AR"] };
    },
    () => ({ kind: "binary garbage in a frame", payload: noiseBytes(random, 1 + Math.floor(random() * 2_000)), msa2: undefined, codes: ["AR", "AE"] }),
  ];

  return Array.from({ length: count }, (_, i) => makers[i % makers.length]!(base[i % base.length]!));
};

describe("malformed input against the listener process", () => {
  let t: TTestDatabase;
  let listener: TListenerProcess | undefined;
  let port: number;
  /** MSA-2 of every answer to a malformed message (what the listener read as MSH-10). */
  const answered: Array<{ kind: string; msa2: string }> = [];
  beforeAll(async () => {
    t = await createTestDatabase();
    port = await freePort();
    listener = await startListenerProcess({ databaseUrl: t.url, dataDir: t.dataDir, port });
  });
  afterAll(async () => {
    await listener?.kill();
    await t?.drop();
  });

  it(`${CASES} mutated messages: one AE/AR each, the listener stays up, RSS bounded, valid traffic still AA`, { timeout: 180_000 }, async () => {
    const random = seededRandom(SEED);
    // One connection: concurrent first messages race to create the Facility row (AE "please resend" on
    // PostgreSQL, reported separately); not what this test is about.
    const warm = generateAdtTraffic({ messages: 40, perPatient: 2, lanes: 1, seed: SEED, withDischarge: false, prefix: "W" });
    const warmed = await runDriver({ port, lanes: warm.lanes, deadlineMs: 60_000 });
    expect(warmed.unacked).toEqual([]);
    expect(warmed.records.filter((r) => r.code !== "AA")).toEqual([]);
    const pid = listener!.pid;
    const rssBefore = listener!.rssKiB();

    const base = generateAdtTraffic({ messages: CASES, perPatient: 1, lanes: 1, seed: SEED + 1, withDischarge: false, prefix: "Z" }).messages;
    const cases = buildCases(base, CASES, random);
    const failures: string[] = [];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, c) => {
        let wire = await openWire(port);
        for (const [i, testCase] of cases.entries()) {
          if (i % CONNECTIONS !== c) {
            continue;
          }
          if (wire.isClosed()) {
            failures.push(`#${i} ${testCase.kind}: connection closed by the listener before this case`);
            wire = await openWire(port);
          }
          const before = wire.frames.length;
          await wire.write(frame(testCase.payload));
          const ack = await wire.next(15_000);
          if (ack === undefined) {
            failures.push(`#${i} ${testCase.kind}: no ACK`);
            continue;
          }
          const code = hl7Field(ack, "MSA", 1);
          const msa2 = hl7Field(ack, "MSA", 2);
          if (code !== "AA") {
            answered.push({ kind: testCase.kind, msa2 });
          }
          if (!testCase.codes.includes(code) || (testCase.msa2 !== undefined && msa2 !== testCase.msa2) || !/\rERR[^\r]/.test(`\r${ack}`)) {
            failures.push(`#${i} ${testCase.kind}: ${code} MSA-2=${msa2} (want ${testCase.codes.join("/")} ${testCase.msa2 ?? "*"}) ${JSON.stringify(ack.slice(ack.indexOf("MSA")))}`);
          }
          if (wire.frames.length !== before + 1) {
            failures.push(`#${i} ${testCase.kind}: ${wire.frames.length - before} answers`);
          }
        }
        wire.destroy();
      }),
    );
    const fuzzMs = Date.now() - started;

    // Garbage outside any frame: no answer; the next valid frame on the same connection is ACKed normally.
    const after = generateAdtTraffic({ messages: 20, perPatient: 2, lanes: 1, seed: SEED + 2, withDischarge: false, prefix: "G" }).messages;
    for (const [i, message] of after.slice(0, 10).entries()) {
      const wire = await openWire(port);
      const junk = i % 2 === 0 ? noiseBytes(random, 500).filter((b) => b !== MLLP_VT) : Buffer.from("GET / HTTP/1.1\r\n\r\n\0\0\n");
      await wire.write(Buffer.from(junk));
      await wire.write(frame(message.payload));
      const ack = await wire.next(15_000);
      if (!ack || hl7Field(ack, "MSA", 1) !== "AA" || hl7Field(ack, "MSA", 2) !== message.controlId || wire.frames.length !== 1) {
        failures.push(`unframed garbage #${i}: ${ack === undefined ? "no ACK" : JSON.stringify(ack.slice(ack.indexOf("MSA")))}`);
      }
      wire.destroy();
    }
    // Valid traffic after all that.
    const valid = await runDriver({ port, lanes: [after.slice(10)], deadlineMs: 30_000 });
    const rssAfter = listener!.rssKiB();
    console.info(
      `[fuzz] engine=${t.engine} cases=${cases.length} in ${fuzzMs} ms; RSS ${(rssBefore / 1024).toFixed(1)} → ` +
        `${(rssAfter / 1024).toFixed(1)} MiB (+${((rssAfter - rssBefore) / 1024).toFixed(1)} MiB)`,
    );
    expect(failures).toEqual([]);
    expect(valid.unacked).toEqual([]);
    expect(valid.records.map((r) => r.code)).toEqual(after.slice(10).map(() => "AA"));
    expect(listener!.pid).toBe(pid);
    expect(listener!.child.exitCode).toBeNull();
    expect(rssAfter - rssBefore).toBeLessThan(50 * 1024);
  });

  it("every malformed message is stored (status error/rejected), every valid one processed", async () => {
    expect(await listener!.stop()).toBe(0);
    listener = undefined;
    const rows = await t.db.hl7Message.groupBy({ by: ["status"], _count: { _all: true } });
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, r._count._all]));
    // One row per message, except that a later message with the same (MSH-4, MSH-10) key as an earlier refused one
    // overwrites it (README "Duplicates"): mangled headers can make several cases read the same control id.
    const ids = answered.map((a) => a.msa2);
    const expected = ids.filter((id) => id === "").length + new Set(ids.filter((id) => id !== "")).size;
    const stored = new Set((await t.db.hl7Message.findMany({ select: { controlId: true } })).map((r) => r.controlId));
    const missing = answered.filter((a) => a.msa2 !== "" && !stored.has(a.msa2));
    // Every answered message is kept, NUL bytes in header fields included (PostgreSQL text cannot hold U+0000:
    // parseMessage reads NUL as U+FFFD).
    expect(missing.map((a) => a.kind)).toEqual([]);
    expect(answered.length).toBe(CASES);
    expect((byStatus.error ?? 0) + (byStatus.rejected ?? 0)).toBeGreaterThanOrEqual(expected);
    expect((byStatus.error ?? 0) + (byStatus.rejected ?? 0)).toBeLessThanOrEqual(CASES);
    expect(byStatus.processed).toBe(40 + 20);
  });
});
