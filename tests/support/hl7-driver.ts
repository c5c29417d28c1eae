/**
 * HL7 reliability test driver (reliability-matrix §5 rows 1–3, 5): sends ADT messages over N connections ("lanes"),
 * one message at a time per lane, waits for each ACK and correlates it by MSA-2 = MSH-10 (never "the next frame":
 * matrix §0 anchor 4). When a connection drops, times out or is refused, it reconnects and RESENDS every message of
 * that lane that has no ACK yet, until a global deadline. Every loop is bounded by that deadline.
 *
 * Also: a generator of realistic ADT traffic (synthetic patients, each A04/A01 → A08… → A03 when the receiver
 * supports A03) with unique control ids and non-ASCII names, and the expected final worklist state computed from
 * what was generated (each patient's messages stay on one lane, in order, so the final state is well defined).
 */
import net from "node:net";
import { frame, MllpFramer } from "@/lib/hl7/mllp-framer";

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

/** The field of a segment (MSH positions counted as in the standard), "" when absent. */
export const hl7Field = (text: string, segment: string, position: number): string => {
  const sep = text.charAt(3) || "|";
  const line = text.split(/\r\n|\r|\n/).find((l) => l.startsWith(segment + sep)) ?? "";
  const parts = line.split(sep);

  return (segment === "MSH" ? parts[position - 1] : parts[position]) ?? "";
};

/** Deterministic PRNG (mulberry32) so a failing run can be repeated with the same seed. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;

  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);

    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Percentile (0..100) of a list of numbers; NaN for an empty list. */
export const percentile = (values: number[], p: number): number => {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));

  return sorted[index]!;
};

/** Non-negative integer from the environment (heavier local runs), else the default. */
export const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? Number.NaN : Number(raw);

  return Number.isInteger(value) && value >= 0 ? value : fallback;
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// Driver

export type TDriverMessage = {
  /** MSH-10 of the payload (what MSA-2 must echo). */
  controlId: string;
  /** Unframed payload bytes. */
  payload: Buffer;
};

export type TAckRecord = {
  controlId: string;
  lane: number;
  /** MSA-1 (AA, AE, AR, CA …). */
  code: string;
  /** Time from the (last) write to the ACK, ms. */
  latencyMs: number;
  /** How many times the message was written (1 = never resent). */
  attempts: number;
  /** The ACK text. */
  ack: string;
};

export type TDriverOptions = {
  port: number;
  host?: string;
  /** Messages per connection, sent in this order. */
  lanes: TDriverMessage[][];
  /** Give up (report unfinished lanes) this many ms after start. */
  deadlineMs: number;
  /** Treat a connection as broken when an ACK takes longer (then reconnect and resend). Default 10 s. */
  ackTimeoutMs?: number;
  /** Pause between connection attempts while the listener is down. Default 50 ms. */
  reconnectDelayMs?: number;
  /**
   * Resend (after retryDelayMs) instead of accepting this ACK, e.g. AE "please resend" for a database error.
   * Default: every ACK is final.
   */
  retryWhen?: (ack: string) => boolean;
  /** Pause before a retry chosen by retryWhen. Default 100 ms. */
  retryDelayMs?: number;
  /**
   * "ACK lost" fault (reliability-matrix §5 row 4): with this probability the connection is destroyed right after a
   * write, before its ACK can be read; the driver reconnects and resends. Default 0.
   */
  dropAfterWrite?: number;
  /** Random source for dropAfterWrite (seeded for repeatable runs). Default Math.random. */
  random?: () => number;
  /** Called after every ACK (e.g. to trigger faults at a given progress). */
  onAck?: (record: TAckRecord, acked: number) => void;
};

export type TDriverResult = {
  /** One record per message that got an ACK (the final one), in ACK order. */
  records: TAckRecord[];
  /** Messages never ACKed before the deadline. */
  unacked: string[];
  /** ACKs whose MSA-2 was not the MSH-10 of the message in flight (must be 0). */
  misCorrelated: number;
  /** Messages written more than once. */
  resent: number;
  /** ACKs not accepted because retryWhen asked for a resend (with their MSA-2 and text), e.g. AE "please resend". */
  retriedAcks: Array<{ controlId: string; ack: string }>;
  /** Connections destroyed on purpose after a write (dropAfterWrite). */
  dropped: number;
  /** Connections (re)opened after the first one per lane. */
  reconnects: number;
  /** Failed connection attempts (listener down, or refused). */
  refusedConnects: number;
  elapsedMs: number;
};

/** One lane's connection: frames ACK payloads and hands them to the waiting message. */
type TLink = {
  socket: net.Socket;
  framer: MllpFramer;
  closed: boolean;
  /** Waiter for the next ACK payload, or for the close (undefined). */
  waiter: ((ack: string | undefined) => void) | undefined;
  /** ACKs that arrived with nobody waiting (never expected with one message in flight). */
  backlog: string[];
};

const connectOnce = (port: number, host: string, timeoutMs: number): Promise<TLink | undefined> =>
  new Promise((resolve) => {
    const socket = net.connect({ port, host, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, timeoutMs);
    socket.once("error", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(undefined);
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      socket.on("error", () => {});
      const link: TLink = { socket, framer: new MllpFramer(), closed: false, waiter: undefined, backlog: [] };
      socket.on("data", (chunk: Buffer) => {
        for (const payload of link.framer.push(chunk)) {
          const ack = payload.toString("utf8");
          const waiter = link.waiter;
          link.waiter = undefined;
          if (waiter) {
            waiter(ack);
          } else {
            link.backlog.push(ack);
          }
        }
      });
      socket.once("close", () => {
        link.closed = true;
        const waiter = link.waiter;
        link.waiter = undefined;
        waiter?.(undefined);
      });
      resolve(link);
    });
  });

/** Next ACK on the link; undefined when the link closed or the timeout passed. */
const nextAck = (link: TLink, timeoutMs: number): Promise<string | undefined> => {
  const queued = link.backlog.shift();
  if (queued !== undefined) {
    return Promise.resolve(queued);
  }
  if (link.closed) {
    return Promise.resolve(undefined);
  }

  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      link.waiter = undefined;
      resolve(undefined);
    }, timeoutMs);
    link.waiter = (ack) => {
      clearTimeout(timer);
      resolve(ack);
    };
  });
};

/**
 * Send every lane's messages, one in flight per lane, lanes in parallel; reconnect and resend on any failure.
 * @param options - port, lanes, deadline, timeouts
 */
export const runDriver = async (options: TDriverOptions): Promise<TDriverResult> => {
  const host = options.host ?? "127.0.0.1";
  const ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
  const reconnectDelayMs = options.reconnectDelayMs ?? 50;
  const started = Date.now();
  const deadline = started + options.deadlineMs;
  const result: TDriverResult = {
    records: [],
    unacked: [],
    misCorrelated: 0,
    resent: 0,
    retriedAcks: [],
    dropped: 0,
    reconnects: 0,
    refusedConnects: 0,
    elapsedMs: 0,
  };

  const runLane = async (lane: number, messages: TDriverMessage[]): Promise<void> => {
    let link: TLink | undefined;
    let opened = 0;
    let index = 0;
    let attempts = 0;
    while (index < messages.length && Date.now() < deadline) {
      if (link === undefined || link.closed) {
        link?.socket.destroy();
        link = await connectOnce(options.port, host, Math.max(1, Math.min(2_000, deadline - Date.now())));
        if (link === undefined) {
          result.refusedConnects += 1;
          await sleep(reconnectDelayMs);
          continue;
        }
        opened += 1;
        if (opened > 1) {
          result.reconnects += 1;
        }
      }
      const message = messages[index]!;
      attempts += 1;
      if (attempts === 2) {
        result.resent += 1;
      }
      const sentAt = performance.now();
      link.socket.write(frame(message.payload));
      if ((options.dropAfterWrite ?? 0) > 0 && (options.random ?? Math.random)() < options.dropAfterWrite!) {
        // Give the bytes a moment to leave, then vanish without reading the ACK.
        await sleep((options.random ?? Math.random)() < 0.5 ? 0 : 5);
        result.dropped += 1;
        link.socket.destroy();
        link = undefined;
        continue;
      }
      let ack: string | undefined;
      for (;;) {
        ack = await nextAck(link, Math.max(1, Math.min(ackTimeoutMs, deadline - Date.now())));
        if (ack === undefined || hl7Field(ack, "MSA", 2) === message.controlId) {
          break;
        }
        result.misCorrelated += 1;
      }
      if (ack === undefined) {
        // Closed, timed out or deadline: the message was not ACKed; reconnect and send it again.
        link.socket.destroy();
        link = undefined;
        continue;
      }
      if (options.retryWhen?.(ack)) {
        result.retriedAcks.push({ controlId: message.controlId, ack });
        await sleep(options.retryDelayMs ?? 100);
        continue;
      }
      const record: TAckRecord = {
        controlId: message.controlId,
        lane,
        code: hl7Field(ack, "MSA", 1),
        latencyMs: performance.now() - sentAt,
        attempts,
        ack,
      };
      result.records.push(record);
      options.onAck?.(record, result.records.length);
      index += 1;
      attempts = 0;
    }
    result.unacked.push(...messages.slice(index).map((m) => m.controlId));
    if (link) {
      link.socket.end();
      link.socket.destroy();
    }
  };

  await Promise.all(options.lanes.map((messages, lane) => runLane(lane, messages)));
  result.elapsedMs = Date.now() - started;

  return result;
};

/** The listener's answer to a database failure: AE/AR whose text asks for a resend (lib/hl7/README.md). */
export const asksForResend = (ack: string): boolean =>
  ["AE", "AR", "CE", "CR"].includes(hl7Field(ack, "MSA", 1)) && /please resend/i.test(ack);

/** msg/s and ACK latency percentiles of a driver run. */
export const driverStats = (result: TDriverResult): { rate: number; p50: number; p99: number; max: number } => {
  const latencies = result.records.map((r) => r.latencyMs);

  return {
    rate: result.records.length / Math.max(0.001, result.elapsedMs / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
  };
};

// ---------------------------------------------------------------------------------------------------------------
// Synthetic ADT traffic

const FAMILY = ["Müller", "Ødegård", "李", "García", "Dvořák", "Nguyễn", "O'Brien", "Sørensen", "Smith", "Łukasiewicz",
  "Jones", "Østergaard", "Nuñez", "Papadopoulos", "Ivanova", "Björk", "Schäfer", "Çelik", "Kowalski", "Haddad"];
const GIVEN = ["Anna", "José", "Zoë", "Björn", "明", "François", "Søren", "Ana-María", "John", "Chloé", "Ólafur",
  "Mei", "Jürgen", "Aoife", "Li", "Zdeněk", "Emma", "Mateo", "Ingrid", "Yusuf"];
const POINTS_OF_CARE = ["DERM", "GI", "ENDO", "WOUND"];

export const CRASH_FACILITY = "GENHOSP";

export type TExpectedVisit = {
  mrn: string;
  visitNumber: string;
  /** active | discharged */
  status: string;
  familyName: string;
  givenName: string;
  pointOfCare: string;
  room: string;
  bed: string;
};

export type TGeneratedMessage = TDriverMessage & { patient: number; event: string; text: string };

export type TAdtTraffic = {
  /** Messages per lane (each patient's messages on one lane, in order, patients interleaved). */
  lanes: TGeneratedMessage[][];
  messages: TGeneratedMessage[];
  /** Final state per visit number, from the last message of each patient. */
  expected: Map<string, TExpectedVisit>;
};

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/** HL7 DTM (local time, no offset) for a Date. */
const dtm = (d: Date): string =>
  `${d.getFullYear()}${pad(d.getMonth() + 1, 2)}${pad(d.getDate(), 2)}${pad(d.getHours(), 2)}` +
  `${pad(d.getMinutes(), 2)}${pad(d.getSeconds(), 2)}`;

export type TAdtMessageFields = {
  controlId: string;
  event: string;
  recordedAt: Date;
  mrn: string;
  family: string;
  given: string;
  birthDate: string;
  sex: string;
  patientClass: string;
  pointOfCare: string;
  room: string;
  bed: string;
  visitNumber: string;
  facility?: string;
};

/** One ADT message (v2.5.1, UTF-8, CR-separated) built field by field. */
export const adtMessage = (f: TAdtMessageFields): string => {
  const facility = f.facility ?? CRASH_FACILITY;
  const ts = dtm(f.recordedAt);
  const structure = f.event === "A08" || f.event === "A04" ? "ADT_A01" : f.event === "A03" ? "ADT_A03" : "ADT_A01";
  const discharged = f.event === "A03" ? ts : "";

  const pv1: string[] = ["PV1"];
  pv1[1] = "1";
  pv1[2] = f.patientClass;
  pv1[3] = `${f.pointOfCare}^${f.room}^${f.bed}^${facility}`;
  pv1[7] = "1234^Weiss^Eva^^^Dr";
  pv1[19] = `${f.visitNumber}^^^${facility}^VN`;
  pv1[44] = ts;
  pv1[45] = discharged;

  return [
    `MSH|^~\\&|HIS|${facility}|ENCOUNTER_CAPTURE|${facility}|${ts}||ADT^${f.event}^${structure}|${f.controlId}|P|2.5.1||||||UNICODE UTF-8`,
    `EVN|${f.event}|${ts}`,
    `PID|1||${f.mrn}^^^${facility}^MR||${f.family}^${f.given}^^^^^L||${f.birthDate}|${f.sex}`,
    Array.from(pv1, (v) => v ?? "").join("|"),
  ].join("\r");
};

export type TTrafficOptions = {
  /** Total messages wanted (rounded to whole patients). */
  messages: number;
  /** Messages per patient (≥ 2): admit, updates…, and A03 last when withDischarge. Default 5. */
  perPatient?: number;
  lanes: number;
  seed: number;
  /** Include A03 as each patient's last event (only when the receiver supports it). */
  withDischarge: boolean;
  /** Control id prefix (keep it short: MSH-10 is at most 20 characters). Default "C". */
  prefix?: string;
};

/**
 * Generate synthetic ADT traffic and the expected final worklist.
 * @param options - size, lanes, seed, whether A03 is sent
 */
export const generateAdtTraffic = (options: TTrafficOptions): TAdtTraffic => {
  const random = seededRandom(options.seed);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
  const perPatient = Math.max(2, options.perPatient ?? 5);
  const patients = Math.max(1, Math.round(options.messages / perPatient));
  const prefix = options.prefix ?? "C";
  const base = new Date(2025, 0, 6, 8, 0, 0).getTime();
  const perPatientSeq: TGeneratedMessage[][] = [];
  const expected = new Map<string, TExpectedVisit>();
  let seq = 0;
  for (let p = 0; p < patients; p += 1) {
    const mrn = `M${pad(p + 1, 6)}`;
    const visitNumber = `V${pad(p + 1, 6)}`;
    const birthDate = `19${pad(20 + Math.floor(random() * 80), 2)}${pad(1 + Math.floor(random() * 12), 2)}${pad(1 + Math.floor(random() * 28), 2)}`;
    const sex = pick(["F", "M", "O", "U"]);
    let family = pick(FAMILY);
    let given = pick(GIVEN);
    const admit = random() < 0.5 ? "A01" : "A04";
    const patientClass = admit === "A01" ? "I" : "O";
    let pointOfCare = pick(POINTS_OF_CARE);
    let room = `R${pad(1 + Math.floor(random() * 40), 2)}`;
    let bed = String(1 + Math.floor(random() * 4));
    const events = [admit, ...Array.from({ length: perPatient - 1 }, () => "A08")];
    if (options.withDischarge) {
      events[events.length - 1] = "A03";
    }
    const list: TGeneratedMessage[] = [];
    let status = "active";
    events.forEach((event, i) => {
      if (event === "A08") {
        // An update changes the location, sometimes the name (marriage, typo fix).
        pointOfCare = pick(POINTS_OF_CARE);
        room = `R${pad(1 + Math.floor(random() * 40), 2)}`;
        bed = String(1 + Math.floor(random() * 4));
        if (random() < 0.3) {
          family = `${pick(FAMILY)}-${pick(FAMILY)}`;
        }
        if (random() < 0.2) {
          given = pick(GIVEN);
        }
      }
      if (event === "A03") {
        status = "discharged";
      }
      seq += 1;
      const controlId = `${prefix}${pad(seq, 8)}`;
      const recordedAt = new Date(base + p * 60_000 + i * 1_000);
      const text = adtMessage({
        controlId, event, recordedAt, mrn, family, given, birthDate, sex, patientClass, pointOfCare, room, bed,
        visitNumber,
      });
      list.push({ controlId, payload: Buffer.from(text, "utf8"), patient: p, event, text });
    });
    perPatientSeq.push(list);
    expected.set(visitNumber, { mrn, visitNumber, status, familyName: family, givenName: given, pointOfCare, room, bed });
  }

  // Lane = patient mod lanes; within a lane, patients' sequences are interleaved at random (order kept per patient).
  const lanes: TGeneratedMessage[][] = Array.from({ length: options.lanes }, () => []);
  for (let l = 0; l < options.lanes; l += 1) {
    const pending = perPatientSeq.filter((_, p) => p % options.lanes === l).map((list) => [...list]);
    // Keep a small window of "active" patients so the lane interleaves a few at a time (like a real ward feed).
    const window: TGeneratedMessage[][] = [];
    while (pending.length > 0 || window.length > 0) {
      while (window.length < 4 && pending.length > 0) {
        window.push(pending.shift()!);
      }
      const w = Math.floor(random() * window.length);
      lanes[l]!.push(window[w]!.shift()!);
      if (window[w]!.length === 0) {
        window.splice(w, 1);
      }
    }
  }

  return { lanes, messages: perPatientSeq.flat(), expected };
};
