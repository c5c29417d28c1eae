/**
 * The admin check the routing and divestiture functions make themselves (pages and actions check too): routing
 * decides where every patient's images go, and an export lists every patient of a facility.
 */
import { AppError } from "../errors";
import type { TSessionUser } from "../auth/roles";

/**
 * @param actor - the caller
 * @throws AppError forbidden unless the caller is an admin
 */
export const assertAdmin = (actor: Pick<TSessionUser, "role">): void => {
  if (actor.role !== "admin") {
    throw new AppError("forbidden", "routing and divestiture need the admin role");
  }
};
