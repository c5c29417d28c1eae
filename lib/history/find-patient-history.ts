/**
 * The patient history on the encounter page: earlier captures of this patient over all encounters the user may see,
 * newest first, each instance with its delivery state. Images of a sensitive study the user may not view are
 * marked (the UI shows a placeholder; the thumbnail route refuses them too).
 */
import type { TDb } from "../db";
import type { TSessionUser } from "../auth/roles";
import { summariseDeliveries, type TDeliveryStatus } from "../capture/get-capture";
import { visibleEncounterWhere } from "../worklist/encounter-filters";
import { canViewStudyImages } from "./can-view-study";

export type THistoryInstance = {
  id: string;
  instanceNumber: number;
  /** photo | video | other, from the SOP Class. */
  kind: "photo" | "video" | "other";
  status: TDeliveryStatus;
  lastError: string;
  purged: boolean;
};
export type THistoryStudy = {
  id: string;
  createdAt: string;
  procedure: string;
  operator: string;
  visitNumber: string;
  thisEncounter: boolean;
  sensitive: boolean;
  /** False when the study is sensitive and the user is neither its operator nor a manager of its department. */
  canView: boolean;
  instances: THistoryInstance[];
};

const VIDEO_SOP_CLASSES = new Set(["1.2.840.10008.5.1.4.1.1.77.1.4.1", "1.2.840.10008.5.1.4.1.1.77.1.1.1", "1.2.840.10008.5.1.4.1.1.3.1"]);
const PHOTO_SOP_CLASSES = new Set(["1.2.840.10008.5.1.4.1.1.77.1.4", "1.2.840.10008.5.1.4.1.1.77.1.1", "1.2.840.10008.5.1.4.1.1.6.1", "1.2.840.10008.5.1.4.1.1.7"]);

/**
 * @param db - database client
 * @param user - the caller
 * @param args - patientId, and the encounter being shown (to mark its captures)
 * @param opts - limit: most studies listed (default 50)
 */
export const findPatientHistory = async (
  db: TDb,
  user: TSessionUser,
  args: { patientId: string; encounterId: string },
  opts: { limit?: number } = {},
): Promise<THistoryStudy[]> => {
  const studies = await db.study.findMany({
    where: { patientId: args.patientId, encounter: visibleEncounterWhere(user) },
    orderBy: { createdAt: "desc" },
    take: opts.limit ?? 50,
    include: {
      operator: { select: { name: true } },
      catalogItem: { select: { meaning: true, departmentId: true } },
      encounter: { select: { visitNumber: true } },
      series: {
        orderBy: { seriesNumber: "asc" },
        include: { instances: { orderBy: { instanceNumber: "asc" }, include: { deliveries: { select: { status: true, lastError: true } } } } },
      },
    },
  });

  return studies.map((s) => ({
    id: s.id,
    createdAt: s.createdAt.toISOString(),
    procedure: s.studyDescription || s.catalogItem.meaning,
    operator: s.operator.name,
    visitNumber: s.encounter.visitNumber,
    thisEncounter: s.encounterId === args.encounterId,
    sensitive: s.sensitive,
    canView: canViewStudyImages(user, { sensitive: s.sensitive, operatorId: s.operatorId, departmentId: s.catalogItem.departmentId }),
    instances: s.series.flatMap((se) =>
      se.instances.map((i) => ({
        id: i.id,
        instanceNumber: i.instanceNumber,
        kind: VIDEO_SOP_CLASSES.has(i.sopClassUid) ? ("video" as const) : PHOTO_SOP_CLASSES.has(i.sopClassUid) ? ("photo" as const) : ("other" as const),
        purged: i.purgedAt !== null,
        ...summariseDeliveries(i.deliveries.filter((d) => d.status !== "cancelled")),
      })),
    ),
  }));
};
