/**
 * Thumbnails for the patient history: a small JPEG of one instance, or the reason there is none.
 *
 * Access first (the user's departments, then the sensitive-image rule), audit every view (capture.view with the SOP
 * Instance UID; no PHI in logs), then the picture: photos decode from the DICOM file itself; videos use the poster
 * JPEG the video wrapper keeps next to the file (`<file>.poster.jpg`); a file purged after archiving shows "in
 * archive". Rendered thumbnails are cached under DATA_DIR/thumbnails/<instance id>.jpg (written atomically).
 */
import fs from "node:fs";
import path from "node:path";
import sharp, { type SharpInput, type SharpOptions } from "sharp";
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { recordAuditEvent } from "../audit/record-audit-event";
import { AppError } from "../errors";
import { createLogger } from "../logger";
import { visibleEncounterWhere } from "../worklist/encounter-filters";
import { canViewStudyImages } from "./can-view-study";
import { decodeDicomPreview } from "./decode-dicom-preview";
import type { TPlaceholderReason } from "./thumbnail-placeholder";

const log = createLogger("thumbnail");

/** Longest side of a thumbnail, pixels. */
export const THUMBNAIL_SIZE = 320;
/** Larger DICOM files are not decoded for a preview (a photo is a few MB; this guards memory). */
const MAX_DECODE_BYTES = 256 * 1024 ** 2;

export type TThumbnail = { kind: "jpeg"; data: Buffer } | { kind: "placeholder"; reason: TPlaceholderReason };

const isVideoSyntax = (ts: string): boolean => /^1\.2\.840\.10008\.1\.2\.4\.(10[0-9]|11[0-9])$/.test(ts);

const resize = (input: SharpInput, options?: SharpOptions, invert = false): Promise<Buffer> => {
  let img = sharp(input, { ...options, limitInputPixels: 200_000_000 }).rotate();
  if (invert) {
    img = img.negate({ alpha: false });
  }

  return img.resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: "inside", withoutEnlargement: true }).jpeg({ quality: 75 }).toBuffer();
};

/** Render the JPEG from the local files; null when there is nothing to show. */
const renderFromFiles = async (absPath: string, inst: { sopClassUid: string; transferSyntaxUid: string; size: number }): Promise<Buffer | null> => {
  if (isVideoSyntax(inst.transferSyntaxUid)) {
    const poster = `${absPath}.poster.jpg`;

    return fs.existsSync(poster) ? resize(poster) : null;
  }
  if (inst.size > MAX_DECODE_BYTES || !fs.existsSync(absPath)) {
    return null;
  }
  const source = decodeDicomPreview(await fs.promises.readFile(absPath), inst.transferSyntaxUid);

  return source ? resize(source.input, source.options, source.invert) : null;
};

/**
 * @param db - database client
 * @param user - the caller
 * @param instanceId - Instance.id
 * @param opts - dataDir: DATA_DIR (media and the thumbnail cache)
 * @throws AppError not_found when the instance does not exist or its encounter is outside the user's departments
 */
export const renderThumbnail = async (db: TDb, user: TSessionUser, instanceId: string, opts: { dataDir: string }): Promise<TThumbnail> => {
  const inst = await db.instance.findFirst({
    where: { id: instanceId, series: { study: { encounter: visibleEncounterWhere(user) } } },
    include: { series: { select: { study: { select: { id: true, patientId: true, operatorId: true, sensitive: true, catalogItem: { select: { departmentId: true } } } } } } },
  });
  if (!inst) {
    throw new AppError("not_found", "image not found");
  }
  const study = inst.series.study;
  const allowed = canViewStudyImages(user, { sensitive: study.sensitive, operatorId: study.operatorId, departmentId: study.catalogItem.departmentId });
  await recordAuditEvent(db, {
    action: "capture.view",
    outcome: allowed ? 0 : 4,
    userId: user.id,
    patientId: study.patientId,
    studyId: study.id,
    subject: inst.sopInstanceUid,
    detail: allowed ? "thumbnail" : "thumbnail refused: sensitive image",
  });
  if (!allowed) {
    return { kind: "placeholder", reason: "sensitive" };
  }
  const cacheFile = path.join(opts.dataDir, "thumbnails", `${inst.id}.jpg`);
  if (inst.purgedAt) {
    // The local copy was removed after archiving: so goes its preview (it is patient data too).
    await fs.promises.rm(cacheFile, { force: true });

    return { kind: "placeholder", reason: "archived" };
  }
  const cached = await fs.promises.readFile(cacheFile).catch(() => null);
  if (cached) {
    return { kind: "jpeg", data: cached };
  }
  const data = await renderFromFiles(path.join(opts.dataDir, inst.filePath), inst).catch((error: unknown) => {
    log.warn("thumbnail rendering failed", { instanceId: inst.id, error: (error as Error).message.slice(0, 200) });
    return null;
  });
  if (!data) {
    return { kind: "placeholder", reason: isVideoSyntax(inst.transferSyntaxUid) ? "video" : "unavailable" };
  }
  await fs.promises.mkdir(path.dirname(cacheFile), { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  await fs.promises.writeFile(tmp, data);
  await fs.promises.rename(tmp, cacheFile);

  return { kind: "jpeg", data };
};
