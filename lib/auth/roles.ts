export const ROLES = ["clinician", "manager", "admin"] as const;
export type TRole = (typeof ROLES)[number];

/** The signed-in caller as every data path sees it (loaded from the database on each request). */
export type TSessionUser = {
  id: string;
  email: string;
  name: string;
  role: TRole;
  departmentIds: string[];
};

/** Admins see every department; clinicians and managers only their own. */
export const canSeeAllDepartments = (user: TSessionUser): boolean => user.role === "admin";
