/**
 * Turn uploaded files (photos; DICOM exported by devices) into one DICOM study for an encounter and queue their
 * delivery (what each file becomes: wrap-upload.ts).
 *
 * Order matters for "nothing lost": every file is wrapped and fsynced under DATA_DIR/media first; then ONE
 * transaction records study, series, instances and their delivery jobs (the outbox). A crash before the commit
 * leaves only orphan files (no record claims them); after it, the forwarder finds the jobs.
 * All or nothing: if one file cannot be wrapped the request fails naming that file and nothing is recorded,
 * so the client can drop the file and send the rest again.
 */
import fs from "node:fs";
import path from "node:path";
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { canSeeAllDepartments } from "../auth/roles";
import { recordAuditEvent } from "../audit/record-audit-event";
import { AppError } from "../errors";
import { createUid } from "../dicom/uids";
import { findBodySite } from "../catalog/body-sites";
import type { TCodedConcept } from "../dicom/photo-context";
import { createSeriesUidMap } from "../dicom/reidentify-dicom";
import { enqueueDeliveries } from "../forwarding/enqueue-deliveries";
import { getEncounter } from "../worklist/get-encounter";
import { userNameToDicom } from "../worklist/format-name";
import { getCapture, type TCapture } from "./get-capture";
import { toPhotoContext } from "./to-photo-context";
import type { TUploadedFile } from "./receive-upload";
import { sniffFile, wrapUpload, type TWrappedUpload } from "./wrap-upload";
import type { TConsent } from "./consent";
import { isMediumAllowed } from "./allowed-media";

export type TCreateCaptureInput = {
  encounterId: string;
  procedureId: string;
  files: TUploadedFile[];
  imageLaterality?: "R" | "L" | "U" | "B";
  /** Body site (SNOMED CT code from lib/catalog/body-sites.ts) for every file, else the catalog item's default. */
  bodySite?: string;
  /** Body site per file (index in `files`), overriding `bodySite`. */
  bodySites?: Record<number, string>;
  /** Image Laterality per file (index in `files`), overriding `imageLaterality`. */
  lateralities?: Record<number, "R" | "L" | "U" | "B">;
  /**
   * The patient's consent (lib/capture/consent.ts). The web app always sends one; an API client that sends none
   * gets "" recorded (not recorded) and no consent attributes in the objects — README "Consent".
   */
  consent?: TConsent | "";
  /** Sensitive image: restricted viewing (Study.sensitive) and Confidentiality Constraint in the objects. */
  sensitive?: boolean;
};

const MEDIUM_NAME = { dicom: "DICOM files", video: "videos", other: "photos" } as const;

/** The item's default Image Laterality (R, L, B, U; "" = none → undefined, the builders' default). */
const lateralityOf = (value: string): "R" | "L" | "U" | "B" | undefined =>
  value === "R" || value === "L" || value === "U" || value === "B" ? value : undefined;

/** The coded body site of file `index`: its own, else the capture's, else the item's default; checked. */
const bodySiteOf = (
  input: TCreateCaptureInput,
  item: { bodySiteCode: string; requireBodySite: boolean },
  index: number,
  label: string,
): TCodedConcept | undefined => {
  const code = input.bodySites?.[index] || input.bodySite || item.bodySiteCode;
  if (!code) {
    if (item.requireBodySite) {
      throw new AppError("bad_request", `${label}: choose a body site — this procedure requires one`);
    }

    return undefined;
  }
  const found = findBodySite(code);
  if (!found) {
    throw new AppError("bad_request", `${label}: unknown body site code ${code} (see GET /api/v1/body-sites)`);
  }

  return { code: found.code, scheme: found.scheme, meaning: found.meaning };
};

/**
 * Create a capture (one study, one series, one instance per file).
 * @param db - database client
 * @param user - the clinician capturing
 * @param input - encounter, catalog item, uploaded files
 * @param opts - dataDir (media root), orgRoot (UID root), maxPixels (decompression-bomb limit)
 */
export const createCapture = async (
  db: TDb,
  user: TSessionUser,
  input: TCreateCaptureInput,
  opts: {
    dataDir: string;
    orgRoot?: string;
    maxPixels?: number;
    videoLimits?: { maxDurationMs?: number; maxBytes?: number };
  },
): Promise<TCapture> => {
  if (input.files.length === 0) {
    throw new AppError("bad_request", "no file: add one or more photos in the `file` field");
  }
  const encounter = await getEncounter(db, user, input.encounterId);
  const item = await db.catalogItem.findUnique({ where: { id: input.procedureId } });
  if (!item || !item.active || (!canSeeAllDepartments(user) && !user.departmentIds.includes(item.departmentId))) {
    throw new AppError("bad_request", "procedureId is not an active catalog item of your departments");
  }
  // What the item allows (photo, video, ultrasound), checked before any work: the refusal names the file.
  for (const [index, file] of input.files.entries()) {
    const kind = await sniffFile(file.tempPath);
    if (!isMediumAllowed(kind, item)) {
      throw new AppError(
        "unsupported_media",
        `${file.originalName || `file ${index + 1}`}: "${item.meaning}" does not take ${MEDIUM_NAME[kind]} (allowed: ${item.allowedMedia})`,
      );
    }
  }
  const consent = { use: input.consent ?? "", sensitive: input.sensitive ?? false };
  const now = new Date();
  const studyInstanceUid = createUid(opts.orgRoot);
  const seriesInstanceUid = createUid(opts.orgRoot);
  const relDir = path.join("media", studyInstanceUid);
  fs.mkdirSync(path.join(opts.dataDir, relDir), { recursive: true });
  const made: { relPath: string; file: TUploadedFile; result: TWrappedUpload }[] = [];
  const operatorName = userNameToDicom(user.name);
  // Imported DICOM keeps its device's series grouping, under new UIDs.
  const seriesUidFor = createSeriesUidMap(opts.orgRoot);
  try {
    for (const [index, file] of input.files.entries()) {
      const sopInstanceUid = createUid(opts.orgRoot);
      const relPath = path.join(relDir, `${sopInstanceUid}.dcm`);
      const label = file.originalName || `file ${index + 1}`;
      const anatomicRegion = bodySiteOf(input, item, index, label);
      const base = toPhotoContext({
        encounter,
        item,
        operatorName,
        studyInstanceUid,
        seriesInstanceUid,
        sopInstanceUid,
        instanceNumber: index + 1,
        at: now,
        imageLaterality: input.lateralities?.[index] ?? input.imageLaterality ?? lateralityOf(item.laterality),
      });
      const context = { ...base, consent, instance: { ...base.instance, anatomicRegion } };
      const result = await wrapUpload(file, context, {
        modality: item.modality,
        outPath: path.join(opts.dataDir, relPath),
        maxPixels: opts.maxPixels,
        seriesUidFor,
        label,
        videoLimits: opts.videoLimits,
      });
      made.push({ relPath, file, result });
    }
  } catch (error) {
    fs.rmSync(path.join(opts.dataDir, relDir), { recursive: true, force: true });
    throw error;
  }
  // One Series row per series UID, in order of first appearance.
  const seriesList = [...new Map(made.map((m) => [m.result.seriesInstanceUid, m.result.modality])).entries()];

  const studyId = await db.$transaction(async (tx) => {
    const study = await tx.study.create({
      data: {
        studyInstanceUid,
        encounterId: encounter.id,
        patientId: encounter.patientId,
        catalogItemId: item.id,
        operatorId: user.id,
        studyDescription: item.meaning,
        catalogVersion: item.version,
        consent: consent.use,
        sensitive: consent.sensitive,
        createdAt: now,
        series: {
          create: seriesList.map(([uid, modality], i) => ({ seriesInstanceUid: uid, modality, seriesNumber: i + 1 })),
        },
      },
      include: { series: true },
    });
    const seriesIdOf = new Map(study.series.map((s) => [s.seriesInstanceUid, s.id]));
    const instanceIds: string[] = [];
    for (const [index, m] of made.entries()) {
      const instance = await tx.instance.create({
        data: {
          sopInstanceUid: m.result.sopInstanceUid,
          sopClassUid: m.result.sopClassUid,
          seriesId: seriesIdOf.get(m.result.seriesInstanceUid)!,
          instanceNumber: index + 1,
          transferSyntaxUid: m.result.transferSyntaxUid,
          filePath: m.relPath,
          size: m.result.size,
          sha256: m.result.sha256,
          originalName: m.file.originalName.slice(0, 255),
          stampedIdentity: m.result.stampedIdentity,
        },
      });
      instanceIds.push(instance.id);
    }
    await enqueueDeliveries(tx, instanceIds);
    await recordAuditEvent(tx, {
      action: "capture.create",
      userId: user.id,
      patientId: encounter.patientId,
      studyId: study.id,
      subject: studyInstanceUid,
      detail: `${made.length} image(s), encounter ${encounter.id}, catalog ${item.code} v${item.version}, consent ${consent.use || "not recorded"}${consent.sensitive ? ", sensitive" : ""}`,
    });

    return study.id;
  });

  return getCapture(db, user, studyId, { audit: false });
};
