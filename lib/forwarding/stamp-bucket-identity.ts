/**
 * The bytes a delivery job sends when its rule version sets a bucket identity (resolve-routes.ts): a stamped copy
 * of the instance's file (lib/dicom/stamp-bucket-identity.ts) under DATA_DIR/tmp/bucket-stamped, made for the
 * attempt and removed after it. The copy depends only on the file and the rule version, so every retry sends the
 * same bytes under the same SOP Instance UID; the file on disk is not changed. Jobs without a rule version (no
 * rules, re-deliveries) or whose version sets no identity send the file itself.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { isEmptyIdentity, stampBucketIdentityFile } from "../dicom/stamp-bucket-identity";
import type { TClaimedJob } from "./claim-next-jobs";
import type { TDeliveryOutcome } from "./classify-result";

/** Where stamped copies live while they are sent (relative to DATA_DIR). */
export const STAMPED_DIR = path.join("tmp", "bucket-stamped");

/**
 * @param job - the claimed job (with its rule version)
 * @param file - the verified local file (absolute)
 * @param dataDir - DATA_DIR
 * @returns the file to send and whether it is a temporary copy to remove after the attempt, or a permanent outcome
 *   when the identity cannot be written into this object
 */
export const stampBucketIdentity = async (
  job: TClaimedJob,
  file: string,
  dataDir: string,
): Promise<{ file: string; temporary: boolean } | TDeliveryOutcome> => {
  const version = job.ruleVersion;
  if (!version || isEmptyIdentity(version)) {
    return { file, temporary: false };
  }
  const dir = path.resolve(dataDir, STAMPED_DIR);
  await fs.promises.mkdir(dir, { recursive: true });
  // A name of its own per attempt: a forwarder that took over an expired lease never writes the same file.
  const out = path.join(dir, `${job.id}.${crypto.randomBytes(6).toString("hex")}.dcm`);
  try {
    await stampBucketIdentityFile({
      inputPath: file,
      outPath: out,
      identity: version,
      at: version.createdAt,
      description: `Bucket identity of routing rule ${version.rule.name}, version ${version.version}`,
    });
  } catch (error) {
    await fs.promises.rm(out, { force: true });
    const reason = error instanceof Error ? error.message : "unknown error";

    return { kind: "permanent", detail: `bucket identity could not be stamped into the object (${reason})` };
  }

  return { file: out, temporary: true };
};

/**
 * Remove the temporary copies of an attempt (errors ignored: a leftover is overwritten by nothing and harmless).
 * @param files - paths stampBucketIdentity marked temporary
 */
export const removeStampedFiles = async (files: string[]): Promise<void> => {
  await Promise.all(files.map((f) => fs.promises.rm(f, { force: true }).catch(() => undefined)));
};
