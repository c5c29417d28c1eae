import { redirect } from "next/navigation";
import { AppError } from "../errors";
import type { TRole, TSessionUser } from "./roles";
import { requireUser } from "./require-user";

/**
 * requireUser for server components: signed-out callers go to the login page; a wrong role is a 404-like stop.
 * @param roles - roles allowed (all when omitted)
 */
export const getPageUser = async (roles?: TRole[]): Promise<TSessionUser> => {
  try {
    return await requireUser(undefined, roles);
  } catch (error) {
    if (error instanceof AppError && error.code === "unauthorized") {
      redirect("/login");
    }
    throw error;
  }
};
