/**
 * The in-process MLLP listener on a fresh database (DERM and GI departments mapped), driven by Debian's real
 * `mllp_send` (python3-hl7). Shared by the listener and ADT-event integration tests.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { frame, MllpFramer } from "@/lib/hl7/mllp-framer";
import { startMllpListener, type TMllpListener } from "@/lib/workers/mllp-listener";
import { createTestDatabase, type TTestDatabase } from "./test-db";

export const MLLP_SEND = "/usr/bin/mllp_send";
const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/hl7");
const run = promisify(execFile);

/** A fixture from tests/fixtures/hl7, as bytes. */
export const hl7Fixture = (name: string): Buffer => fs.readFileSync(path.join(FIXTURES, name));

export type TMllpSendHarness = {
  t: TTestDatabase;
  listener: TMllpListener;
  departments: { derm: string; gi: string };
  /** Send framed payloads with mllp_send (one connection, one after another); the ACK texts. */
  mllpSend: (payloads: Buffer[], encoding?: BufferEncoding) => Promise<string[]>;
  /** Send one payload; its single ACK. */
  sendOne: (payload: Buffer, encoding?: BufferEncoding) => Promise<string>;
  stop: () => Promise<void>;
};

/** Check mllp_send, create the database and mappings (DERM at GENHOSP, GI anywhere), start the listener on port 0. */
export const startMllpSendHarness = async (): Promise<TMllpSendHarness> => {
  if (!fs.existsSync(MLLP_SEND)) {
    throw new Error(`${MLLP_SEND} not found: install the Debian package python3-hl7 (apt-get install -y python3-hl7)`);
  }
  const t = await createTestDatabase();
  const derm = await t.db.department.create({ data: { code: "DERM", name: "Dermatology" } });
  const gi = await t.db.department.create({ data: { code: "GI", name: "Gastroenterology" } });
  await t.db.locationMapping.create({ data: { facilityCode: "GENHOSP", pointOfCare: "DERM", departmentId: derm.id } });
  await t.db.locationMapping.create({ data: { facilityCode: "", pointOfCare: "GI", departmentId: gi.id } });
  const listener = await startMllpListener({ db: t.db, port: 0, host: "127.0.0.1" });
  let fileNo = 0;
  const mllpSend = async (payloads: Buffer[], encoding: BufferEncoding = "utf8"): Promise<string[]> => {
    const file = path.join(t.dataDir, `out-${fileNo++}.mllp`);
    fs.writeFileSync(file, Buffer.concat(payloads.map((p) => frame(p))));
    // execFile rejects (with the exit code) when mllp_send fails.
    const { stdout } = await run(MLLP_SEND, ["-p", String(listener.port), "-f", file, "127.0.0.1"], {
      encoding: "buffer",
      timeout: 20_000,
    });

    return new MllpFramer().push(stdout).map((ack) => ack.toString(encoding));
  };

  return {
    t,
    listener,
    departments: { derm: derm.id, gi: gi.id },
    mllpSend,
    sendOne: async (payload, encoding) => {
      const acks = await mllpSend([payload], encoding);
      expect(acks).toHaveLength(1);

      return acks[0]!;
    },
    stop: async () => {
      await listener.stop();
      await t.drop();
    },
  };
};
