import crypto from "node:crypto";

/** A random first or reset password (15 URL-safe characters, ~90 bits), shown to the admin once. */
export const generatePassword = (): string => crypto.randomBytes(11).toString("base64url").slice(0, 15);
