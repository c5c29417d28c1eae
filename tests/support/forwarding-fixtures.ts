/**
 * Fixtures for forwarding tests: synthetic VL Photographic DICOM files made by dcmtk `img2dcm` from sharp-made
 * JPEGs (independent of lib/dicom), and the rows a delivery needs (department, user, catalog item, patient,
 * encounter, study, series, instances, destinations), with the jobs enqueued in the same transaction as the
 * instances, as the capture path does. No real PHI.
 */
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import type { TDb } from "@/lib/db";
import { enqueueDeliveries } from "@/lib/forwarding/enqueue-deliveries";

const run = promisify(execFile);
export const VL_PHOTOGRAPHIC = "1.2.840.10008.5.1.4.1.1.77.1.4";

export type TFixtureFile = {
  /** Relative to the data directory, as Instance.filePath. */
  filePath: string;
  absolutePath: string;
  sopInstanceUid: string;
  sopClassUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  sha256: string;
  size: number;
};

/** A UID under the 2.25 root (UUID-derived, PS3.5 §B.2): no organisation root needed for test data. */
export const testUid = (): string => `2.25.${BigInt(`0x${crypto.randomBytes(15).toString("hex")}`).toString(10)}`;

const img2dcm = async (args: string[]): Promise<void> => {
  try {
    await run("img2dcm", args);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error("img2dcm is not installed: apt-get install -y --no-install-recommends dcmtk");
    }
    throw err;
  }
};

/**
 * Write `count` DICOM files of one study and series under `<dataDir>/<subdir>`.
 * @param dataDir - DATA_DIR of the test
 * @param count - number of instances
 * @param options - image size (noisy pixels make larger, incompressible files), output subdirectory
 */
export const makeDicomFiles = async (
  dataDir: string,
  count: number,
  { width = 160, height = 120, subdir = "dicom" }: { width?: number; height?: number; subdir?: string } = {},
): Promise<TFixtureFile[]> => {
  const dir = path.join(dataDir, subdir);
  fs.mkdirSync(dir, { recursive: true });
  const studyInstanceUid = testUid();
  const seriesInstanceUid = testUid();
  const make = async (i: number): Promise<TFixtureFile> => {
    const sopInstanceUid = testUid();
    const jpeg = path.join(dir, `${i}.jpg`);
    // Random pixels: incompressible, so the file size follows the image size (and every file differs).
    const pixels = crypto.randomBytes(width * height * 3);
    await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toFile(jpeg);
    const filePath = path.join(subdir, `${i}.dcm`);
    const absolutePath = path.join(dataDir, filePath);
    await img2dcm([
      "-vlp", "-k", "PatientID=TEST0001", "-k", "PatientName=Test^Forwarding",
      "-k", `StudyInstanceUID=${studyInstanceUid}`, "-k", `SeriesInstanceUID=${seriesInstanceUid}`,
      "-k", `SOPInstanceUID=${sopInstanceUid}`, "-k", `InstanceNumber=${i + 1}`, jpeg, absolutePath,
    ]);
    fs.rmSync(jpeg);
    const bytes = fs.readFileSync(absolutePath);
    const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");

    return { filePath, absolutePath, sopInstanceUid, sopClassUid: VL_PHOTOGRAPHIC, seriesInstanceUid, studyInstanceUid, sha256, size: bytes.length };
  };
  const files: TFixtureFile[] = [];
  for (let i = 0; i < count; i += 4) {
    files.push(...(await Promise.all(Array.from({ length: Math.min(4, count - i) }, (_, k) => make(i + k)))));
  }

  return files;
};

/**
 * Fixture rows without files, for tests of the outbox that never read them.
 * @param count - how many, all in one new study and series
 */
export const rowOnlyFiles = (count: number): TFixtureFile[] => {
  const studyInstanceUid = testUid();
  const seriesInstanceUid = testUid();

  return Array.from({ length: count }, (_, i) => ({
    filePath: `none/${i}.dcm`, absolutePath: `/nonexistent/${i}.dcm`, sopInstanceUid: testUid(), sopClassUid: VL_PHOTOGRAPHIC,
    seriesInstanceUid, studyInstanceUid, sha256: "0".repeat(64), size: 1,
  }));
};

/**
 * Insert the destinations, then the clinical rows and instances of `files` (one study) with their delivery jobs.
 * @param db - test database
 * @param files - from makeDicomFiles (one study, one series)
 * @param destinations - name → DICOMweb base URL
 * @returns the instance ids and the ids of the created rows
 */
export const seedDeliveries = async (
  db: TDb,
  files: TFixtureFile[],
  destinations: Record<string, string>,
): Promise<{ instanceIds: string[]; patientId: string; studyId: string; destinationIds: string[] }> => {
  const destinationIds: string[] = [];
  for (const [name, url] of Object.entries(destinations)) {
    destinationIds.push((await db.destination.upsert({ where: { name }, create: { name, url }, update: { url } })).id);
  }
  const tag = crypto.randomBytes(4).toString("hex");
  const first = files[0];
  if (!first) {
    throw new Error("seedDeliveries needs at least one file");
  }
  const department = await db.department.upsert({ where: { code: "TEST" }, create: { code: "TEST", name: "Test" }, update: {} });
  const user = await db.user.create({ data: { email: `op-${tag}@example.org`, name: "Operator", role: "clinician", passwordHash: "x" } });
  const item = await db.catalogItem.create({ data: { departmentId: department.id, code: `P${tag}`, scheme: "99TEST", meaning: "Test photo" } });
  const patient = await db.patient.create({ data: { mrn: `MRN${tag}`, issuer: "TEST", familyName: "Test", givenName: "Forwarding" } });
  const encounter = await db.encounter.create({ data: { patientId: patient.id, visitNumber: `V${tag}`, visitIssuer: "TEST" } });

  return db.$transaction(async (tx) => {
    const study = await tx.study.create({
      data: { studyInstanceUid: first.studyInstanceUid, encounterId: encounter.id, patientId: patient.id, catalogItemId: item.id, operatorId: user.id, studyDescription: "Test" },
    });
    const series = await tx.series.create({ data: { seriesInstanceUid: first.seriesInstanceUid, studyId: study.id, modality: "XC", seriesNumber: 1 } });
    const instanceIds: string[] = [];
    for (const [i, f] of files.entries()) {
      const instance = await tx.instance.create({
        data: {
          sopInstanceUid: f.sopInstanceUid, sopClassUid: f.sopClassUid, seriesId: series.id, instanceNumber: i + 1,
          transferSyntaxUid: "1.2.840.10008.1.2.4.50", filePath: f.filePath, size: f.size, sha256: f.sha256,
        },
      });
      instanceIds.push(instance.id);
    }
    await enqueueDeliveries(tx, instanceIds);

    return { instanceIds, patientId: patient.id, studyId: study.id, destinationIds };
  });
};

/** Poll `check` every 100 ms until it returns true or `timeoutMs` passes (then throw with `what`). */
export const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
};
