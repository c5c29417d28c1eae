import bcrypt from "bcryptjs";

const COST = 10;

/** bcrypt hash of a password. */
export const hashPassword = (password: string): Promise<string> => bcrypt.hash(password, COST);

/** Constant-time check of a password against its bcrypt hash. */
export const verifyPassword = (password: string, hash: string): Promise<boolean> => bcrypt.compare(password, hash);
