/**
 * Re-stamp a claimed instance whose file carries an identity that is no longer its encounter's: the patient was
 * merged into another, the MRN or the visit number changed, or a name/birth date was corrected after capture but
 * before delivery. Nothing goes to an archive under an identity the hospital has since corrected.
 *
 * The new file is written next to the old one by lib/dicom/reidentify-dicom.ts: pixel data and every other element
 * copied byte for byte, identity attributes replaced, the previous values kept in Original Attributes Sequence
 * (reason CORRECT), and the same Study / Series / SOP Instance UIDs (the object was not delivered under the old
 * identity to this destination; deliveries already stored elsewhere are listed by the identity-changing event,
 * lib/worklist/record-identity-changes.ts). The instance row then points at the new file (compare-and-set on the
 * old fingerprint, so two forwarders re-stamping at once agree on one file). The old file is kept: another
 * forwarder may be reading it for a send that started before; media purging removes it with the instance.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { TDb } from "../db";
import { recordAuditEvent } from "../audit/record-audit-event";
import { toIdentityContext } from "../capture/to-photo-context";
import { fingerprintIdentity } from "../dicom/fingerprint-identity";
import { reidentifyDicom } from "../dicom/reidentify-dicom";
import type { TClaimedJob } from "./claim-next-jobs";
import type { TDeliveryOutcome } from "./classify-result";
import { sha256File } from "../sha256-file";

type TInstance = TClaimedJob["instance"];

/**
 * @param db - database client
 * @param dataDir - DATA_DIR (Instance.filePath is relative to it)
 * @param job - the claimed job
 * @returns the instance to send (re-stamped, or as claimed when its identity is current or not tracked), or an
 *   outcome when it must not be sent (the file cannot be re-stamped)
 */
export const restampInstance = async (
  db: TDb,
  dataDir: string,
  job: TClaimedJob,
): Promise<TInstance | TDeliveryOutcome> => {
  const instance = job.instance;
  const study = instance.series.study;
  const context = toIdentityContext(study.encounter);
  const current = fingerprintIdentity(context);
  if (instance.stampedIdentity === "" || instance.stampedIdentity === current) {
    return instance;
  }
  const root = path.resolve(dataDir);
  const source = path.resolve(root, instance.filePath);
  try {
    // A damaged file is not re-stamped (its new digest would hide the damage); the send check reports it.
    if ((await sha256File(source)) !== instance.sha256.toLowerCase()) {
      return instance;
    }
  } catch {
    return instance;
  }
  // A name of its own per attempt: two forwarders re-stamping at once never write the same file.
  const relPath = path.join(
    path.dirname(instance.filePath),
    `${instance.sopInstanceUid}.${crypto.randomBytes(6).toString("hex")}.dcm`,
  );
  const outPath = path.resolve(root, relPath);
  let result;
  try {
    result = await reidentifyDicom({
      inputPath: source,
      outPath,
      context,
      uids: {
        studyInstanceUid: study.studyInstanceUid,
        seriesInstanceUidFor: () => instance.series.seriesInstanceUid,
        sopInstanceUid: instance.sopInstanceUid,
      },
      reason: "CORRECT",
    });
  } catch (error) {
    fs.rmSync(outPath, { force: true });
    const reason = error instanceof Error ? error.message : "unknown error";

    return { kind: "permanent", detail: `identity changed since capture; the file could not be re-stamped (${reason})` };
  }
  const restamped = { filePath: relPath, size: result.size, sha256: result.sha256, stampedIdentity: current };
  const won = await db.$transaction(async (tx) => {
    const { count } = await tx.instance.updateMany({
      where: { id: instance.id, stampedIdentity: instance.stampedIdentity, sha256: instance.sha256 },
      data: restamped,
    });
    if (count === 1) {
      await recordAuditEvent(tx, {
        action: "instance.restamped",
        patientId: study.patientId,
        studyId: study.id,
        subject: instance.sopInstanceUid,
        detail: "identity changed after capture (merge, identifier, visit or demographics); file re-stamped before delivery",
        source: "forwarder",
      });
    }

    return count === 1;
  });
  if (won) {
    return { ...instance, ...restamped };
  }
  // Another forwarder re-stamped it first: use its file.
  fs.rmSync(outPath, { force: true });
  const now = await db.instance.findUniqueOrThrow({
    where: { id: instance.id },
    select: { filePath: true, size: true, sha256: true, stampedIdentity: true },
  });

  return { ...instance, ...now };
};
