import { canSeeAllDepartments, type TSessionUser } from "../auth/roles";

/**
 * The sensitive-image rule (issue 6): a study flagged sensitive is shown only to the clinician who captured it and to
 * managers and admins of the capturing department (the catalog item's); admins see every department. Other users of
 * the encounter's department still see that a capture exists, as a "sensitive image" placeholder.
 * @param user - the caller (already allowed to see the encounter)
 * @param study - sensitive flag, operator and the capturing department
 */
export const canViewStudyImages = (
  user: TSessionUser,
  study: { sensitive: boolean; operatorId: string; departmentId: string },
): boolean => {
  if (!study.sensitive || study.operatorId === user.id || canSeeAllDepartments(user)) {
    return true;
  }

  return user.role === "manager" && user.departmentIds.includes(study.departmentId);
};
