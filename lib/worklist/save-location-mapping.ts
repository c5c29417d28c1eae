import type { TDb } from "../db";
import { AppError } from "../errors";
import { remapEncounterDepartments } from "./remap-encounter-departments";

/**
 * Map a point of care (PV1-3.1), optionally only at one facility, to a department — or remove the mapping when
 * departmentCode is empty — and move the encounters there to the right worklist at once.
 * @param db - database client
 * @param input - facilityCode ("" = any facility), pointOfCare, departmentCode ("" = remove)
 * @returns how many encounters changed department
 */
export const saveLocationMapping = async (
  db: TDb,
  input: { facilityCode: string; pointOfCare: string; departmentCode: string },
): Promise<{ updated: number }> => {
  const facilityCode = input.facilityCode.trim();
  const pointOfCare = input.pointOfCare.trim();
  if (!pointOfCare) {
    throw new AppError("bad_request", "point of care is required (PV1-3.1, e.g. DERM)");
  }
  const key = { facilityCode_pointOfCare: { facilityCode, pointOfCare } };
  if (!input.departmentCode) {
    await db.locationMapping.deleteMany({ where: { facilityCode, pointOfCare } });
  } else {
    const department = await db.department.findUnique({ where: { code: input.departmentCode } });
    if (!department) {
      throw new AppError("bad_request", `unknown department ${input.departmentCode}`);
    }
    await db.locationMapping.upsert({
      where: key,
      create: { facilityCode, pointOfCare, departmentId: department.id },
      update: { departmentId: department.id },
    });
  }

  return remapEncounterDepartments(db, { pointOfCare });
};
