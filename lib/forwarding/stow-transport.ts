/**
 * The HTTP side of a STOW-RS destination, shared by delivery and "test connection": a keep-alive agent per
 * destination (with the destination's custom CA added to the system store), and the Authorization header of its
 * auth type. The secret stays in memory here; nothing in this module logs it, and errors never include it.
 */
import crypto from "node:crypto";
import http from "node:http";
import https from "node:https";
import tls from "node:tls";

/** The Destination columns the transport needs. */
export type TStowAuthConfig = {
  url: string;
  /** none | basic | bearer */
  authType: string;
  authUsername: string;
  authSecret: string;
  /** PEM of extra CA certificates ("" = the system store only). */
  caCertPem: string;
  maxParallel: number;
};

export type TStowTransport = {
  agent: http.Agent;
  /** Authorization (when configured); never logged. */
  headers: Record<string, string>;
  /** Changes when anything that shapes the transport changes (to know when to rebuild it). */
  key: string;
};

/**
 * The Authorization header of a destination.
 * @param config - auth type, user name, secret
 */
export const authorizationHeaders = (config: Pick<TStowAuthConfig, "authType" | "authUsername" | "authSecret">): Record<string, string> => {
  if (config.authType === "basic") {
    return { Authorization: `Basic ${Buffer.from(`${config.authUsername}:${config.authSecret}`, "utf8").toString("base64")}` };
  }
  if (config.authType === "bearer") {
    return { Authorization: `Bearer ${config.authSecret}` };
  }

  return {};
};

/**
 * Build the agent and headers of a destination. Keep-alive, at most max(8, maxParallel) sockets; for https, the
 * system CAs plus `caCertPem`.
 * @param config - the destination's URL, auth and TLS settings
 */
export const createStowTransport = (config: TStowAuthConfig): TStowTransport => {
  const sockets = Math.max(8, config.maxParallel);
  const isHttps = config.url.startsWith("https:");
  const ca = config.caCertPem.trim();
  const agent = isHttps
    ? new https.Agent({ keepAlive: true, maxSockets: sockets, ...(ca ? { ca: [...tls.rootCertificates, ca] } : {}) })
    : new http.Agent({ keepAlive: true, maxSockets: sockets });
  const key = crypto
    .createHash("sha256")
    .update(JSON.stringify([config.url, config.authType, config.authUsername, config.authSecret, ca, sockets]))
    .digest("hex");

  return { agent, headers: authorizationHeaders(config), key };
};

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "ERR_TLS_CERT_ALTNAME_INVALID", "CERT_UNTRUSTED",
]);

/**
 * A readable explanation of a network error, with a hint for TLS certificate problems.
 * @param err - the error of an http(s) request
 */
export const describeNetworkError = (err: Error & { code?: string }): string => {
  if (err.code && TLS_CODES.has(err.code)) {
    return `TLS certificate not accepted (${err.code}): set the archive's CA certificate on the destination`;
  }

  return err.code ? `${err.code}: ${err.message}` : err.message;
};
