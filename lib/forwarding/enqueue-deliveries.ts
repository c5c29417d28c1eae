/**
 * The outbox write: one DeliveryJob per new instance and routed destination (resolve-routes.ts). It runs inside the
 * transaction that creates the instances, so a capture is never committed without its jobs (and the forwarder, a
 * separate process, picks them up from the database alone). Each job records the rule version that routed it
 * (origin "routed"); with no active rule, every enabled destination gets a job without a rule version.
 *
 * An instance that rules exist for but none routes is "unrouted": it gets no job and an audit event
 * (`delivery.unrouted`), and the routing admin page lists it until a rule covers it (nothing silently lost).
 */
import type { TDb, TTx } from "../db";
import { recordAuditEvent } from "../audit/record-audit-event";
import { loadRoutingTable, resolveRoutes, type TRouteInput } from "./resolve-routes";

/**
 * The routing attributes of instances (facility, capturing department, catalog item and its bucket, modality,
 * SOP class), keyed by Instance.id, plus what an audit event needs.
 * @param db - client or transaction
 * @param instanceIds - Instance.id values
 */
export const loadRouteInputs = async (
  db: TDb | TTx,
  instanceIds: string[],
): Promise<Map<string, TRouteInput & { sopInstanceUid: string; patientId: string; studyId: string }>> => {
  const rows = await db.instance.findMany({
    where: { id: { in: instanceIds } },
    select: {
      id: true,
      sopInstanceUid: true,
      sopClassUid: true,
      series: {
        select: {
          modality: true,
          study: {
            select: {
              id: true,
              patientId: true,
              encounter: { select: { facility: { select: { code: true } } } },
              catalogItem: { select: { id: true, routingRuleId: true, department: { select: { code: true } } } },
            },
          },
        },
      },
    },
  });

  return new Map(
    rows.map((r) => {
      const study = r.series.study;

      return [
        r.id,
        {
          facilityCode: study.encounter.facility?.code ?? "",
          departmentCode: study.catalogItem.department.code,
          catalogItemId: study.catalogItem.id,
          catalogItemRuleId: study.catalogItem.routingRuleId,
          modality: r.series.modality,
          sopClassUid: r.sopClassUid,
          sopInstanceUid: r.sopInstanceUid,
          patientId: study.patientId,
          studyId: study.id,
        },
      ];
    }),
  );
};

/**
 * Queue every instance for the destinations its routes name. Idempotent: pairs that already have a job (unique
 * instanceId + destinationId) are left alone, so calling it twice for the same instances creates nothing new (and
 * no second unrouted event for an instance that already has a job).
 * @param tx - the transaction that created the instances
 * @param instanceIds - Instance.id values
 * @returns the number of jobs created
 */
export const enqueueDeliveries = async (tx: TTx, instanceIds: string[]): Promise<number> => {
  const ids = [...new Set(instanceIds)];
  if (ids.length === 0) {
    return 0;
  }
  // Sequential: one interactive transaction runs one statement at a time anyway.
  const table = await loadRoutingTable(tx);
  const inputs = await loadRouteInputs(tx, ids);
  const existing = await tx.deliveryJob.findMany({ where: { instanceId: { in: ids } }, select: { instanceId: true, destinationId: true } });
  const have = new Set(existing.map((j) => `${j.instanceId} ${j.destinationId}`));
  const hasJob = new Set(existing.map((j) => j.instanceId));
  // One timestamp for the batch, written explicitly: the job is due at once and createdAt starts the retry horizon.
  const now = new Date();
  const data: {
    instanceId: string;
    destinationId: string;
    ruleVersionId: string | null;
    origin: string;
    status: string;
    nextAttemptAt: Date;
    createdAt: Date;
  }[] = [];
  for (const instanceId of ids) {
    const input = inputs.get(instanceId);
    if (!input) {
      continue;
    }
    const { mode, routes } = resolveRoutes(table, input);
    if (routes.length === 0 && mode !== "fallback" && !hasJob.has(instanceId)) {
      await recordAuditEvent(tx, {
        action: "delivery.unrouted",
        outcome: 4,
        patientId: input.patientId,
        studyId: input.studyId,
        subject: input.sopInstanceUid,
        detail:
          `no routing rule matches (facility "${input.facilityCode}", department "${input.departmentCode}", ` +
          `modality "${input.modality}"); listed on /admin/routing`,
        source: "routing",
      });
    }
    for (const r of routes) {
      if (!have.has(`${instanceId} ${r.destinationId}`)) {
        data.push({ instanceId, destinationId: r.destinationId, ruleVersionId: r.ruleVersionId, origin: "routed", status: "queued", nextAttemptAt: now, createdAt: now });
      }
    }
  }
  if (data.length === 0) {
    return 0;
  }
  const { count } = await tx.deliveryJob.createMany({ data });

  return count;
};
