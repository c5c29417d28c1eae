/**
 * Many valid DICOM files fast: one made by dcmtk `img2dcm` (forwarding-fixtures.ts), then copies in which the
 * SOP Instance UID (in the File Meta and the data set) is replaced by another UID of exactly the same length, so
 * no length field changes and every copy is as valid as the template. For tests that need hundreds of instances
 * (the crash test) without spawning img2dcm hundreds of times.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { makeDicomFiles, type TFixtureFile } from "./forwarding-fixtures";

/** A 2.25 UID (PS3.5 §B.2) of `length` characters: "2.25." and random decimal digits, no leading zero. */
const uidOfLength = (length: number): string => {
  const digits = Array.from(crypto.randomBytes(length - 5), (b, i) => (i === 0 ? 1 + (b % 9) : b % 10)).join("");

  return `2.25.${digits}`;
};

const replaceAll = (bytes: Buffer, from: Buffer, to: Buffer): number => {
  let count = 0;
  for (let at = bytes.indexOf(from); at >= 0; at = bytes.indexOf(from, at + from.length)) {
    to.copy(bytes, at);
    count += 1;
  }

  return count;
};

/**
 * Write `count` instances of one study and series under `<dataDir>/<subdir>`.
 * @param dataDir - DATA_DIR of the test
 * @param count - number of instances
 * @param subdir - output directory below dataDir
 */
export const cloneDicomFiles = async (dataDir: string, count: number, subdir = "clones"): Promise<TFixtureFile[]> => {
  const [template] = await makeDicomFiles(dataDir, 1, { subdir: `${subdir}-template`, width: 96, height: 64 });
  if (!template) {
    throw new Error("img2dcm made no template");
  }
  const source = fs.readFileSync(template.absolutePath);
  const from = Buffer.from(template.sopInstanceUid, "latin1");
  const dir = path.join(dataDir, subdir);
  fs.mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();

  return Array.from({ length: count }, () => {
    let uid = uidOfLength(from.length);
    while (seen.has(uid)) {
      uid = uidOfLength(from.length);
    }
    seen.add(uid);
    const bytes = Buffer.from(source);
    if (replaceAll(bytes, from, Buffer.from(uid, "latin1")) !== 2) {
      throw new Error("the template's SOP Instance UID should occur twice (File Meta and data set)");
    }
    const filePath = path.join(subdir, `${uid}.dcm`);
    const absolutePath = path.join(dataDir, filePath);
    fs.writeFileSync(absolutePath, bytes);

    return {
      ...template,
      filePath,
      absolutePath,
      sopInstanceUid: uid,
      sha256: crypto.createHash("sha256").update(bytes).digest("hex"),
      size: bytes.length,
    };
  });
};
