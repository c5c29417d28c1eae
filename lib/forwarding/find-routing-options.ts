/**
 * The choices the routing admin forms offer, read from the database: facilities, departments, catalog items,
 * destinations, the modalities and SOP classes we emit.
 */
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { assertAdmin } from "./assert-admin";
import {
  US_MULTIFRAME_IMAGE_STORAGE,
  VIDEO_ENDOSCOPIC_IMAGE_STORAGE,
  VIDEO_PHOTOGRAPHIC_IMAGE_STORAGE,
  VL_ENDOSCOPIC_IMAGE_STORAGE,
  VL_PHOTOGRAPHIC_IMAGE_STORAGE,
} from "../dicom/uids";

/** Modalities of the objects we emit (lib/dicom/README.md). */
export const ROUTING_MODALITIES = [
  { code: "XC", label: "XC – external camera (VL / Video Photographic)" },
  { code: "ES", label: "ES – endoscopy (VL / Video Endoscopic)" },
  { code: "US", label: "US – ultrasound" },
] as const;

/** SOP classes (IODs) of the objects we emit. */
export const ROUTING_SOP_CLASSES = [
  { uid: VL_PHOTOGRAPHIC_IMAGE_STORAGE, label: "VL Photographic Image" },
  { uid: VIDEO_PHOTOGRAPHIC_IMAGE_STORAGE, label: "Video Photographic Image" },
  { uid: VL_ENDOSCOPIC_IMAGE_STORAGE, label: "VL Endoscopic Image" },
  { uid: VIDEO_ENDOSCOPIC_IMAGE_STORAGE, label: "Video Endoscopic Image" },
  { uid: "1.2.840.10008.5.1.4.1.1.6.1", label: "US Image" },
  { uid: US_MULTIFRAME_IMAGE_STORAGE, label: "US Multi-frame Image" },
] as const;

/**
 * @param db - database client
 * @param actor - the admin
 */
export const findRoutingOptions = async (db: TDb, actor: TSessionUser) => {
  assertAdmin(actor);
  const [facilities, departments, catalogItems, destinations, rules] = await Promise.all([
    db.facility.findMany({ orderBy: { code: "asc" }, select: { id: true, code: true, name: true } }),
    db.department.findMany({ orderBy: { code: "asc" }, select: { code: true, name: true } }),
    db.catalogItem.findMany({
      orderBy: [{ department: { code: "asc" } }, { sortOrder: "asc" }],
      select: { id: true, code: true, meaning: true, modality: true, active: true, department: { select: { code: true } } },
    }),
    db.destination.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true, kind: true, enabled: true } }),
    db.routingRule.findMany({ orderBy: [{ sortOrder: "asc" }, { name: "asc" }], select: { id: true, name: true, active: true } }),
  ]);

  return {
    facilities,
    departments,
    catalogItems: catalogItems.map((c) => ({ id: c.id, code: c.code, meaning: c.meaning, modality: c.modality, active: c.active, departmentCode: c.department.code })),
    destinations,
    rules,
    modalities: ROUTING_MODALITIES.map((m) => ({ ...m })),
    sopClasses: ROUTING_SOP_CLASSES.map((s) => ({ ...s })),
  };
};

export type TRoutingOptions = Awaited<ReturnType<typeof findRoutingOptions>>;
