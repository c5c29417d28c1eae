import type { TDb } from "../db";

/**
 * Location → department mappings, and the points of care seen in ADT that no mapping covers (their encounters
 * are on nobody's worklist), for the admin page.
 * @param db - database client
 */
export const findLocationMappings = async (db: TDb) => {
  const [mappings, unmapped] = await Promise.all([
    db.locationMapping.findMany({ include: { department: true }, orderBy: [{ pointOfCare: "asc" }, { facilityCode: "asc" }] }),
    db.encounter.groupBy({
      by: ["pointOfCare"],
      where: { departmentId: null, status: { not: "cancelled" } },
      _count: { _all: true },
      orderBy: { pointOfCare: "asc" },
    }),
  ]);

  return {
    mappings: mappings.map((m) => ({ id: m.id, facilityCode: m.facilityCode, pointOfCare: m.pointOfCare, department: m.department.code })),
    unmapped: unmapped.map((u) => ({ pointOfCare: u.pointOfCare, encounters: u._count._all })),
  };
};
