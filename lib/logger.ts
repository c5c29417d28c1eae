/**
 * Application log: one JSON line per event on stdout/stderr. Carries internal ids only (message ids, job ids,
 * control ids) — never names, MRNs, birth dates or other PHI (ASVS 16.2.5). PHI goes to the audit table.
 */
type TFields = Record<string, string | number | boolean | null | undefined>;

type TLevel = "debug" | "info" | "warn" | "error";

const write = (level: TLevel, component: string, msg: string, fields?: TFields): void => {
  const wanted = process.env.LOG_LEVEL;
  if (wanted === "silent" || (level === "debug" && wanted !== "debug")) {
    return;
  }
  const line = JSON.stringify({ t: new Date().toISOString(), level, component, msg, ...fields });
  if (level === "info" || level === "debug") {
    process.stdout.write(line + "\n");
  } else {
    process.stderr.write(line + "\n");
  }
};

/**
 * A logger bound to a component name.
 * @param component - e.g. "mllp", "forwarder", "web"
 */
export const createLogger = (component: string) => ({
  /** Per-item success lines (one per HL7 message …): written only with LOG_LEVEL=debug. */
  debug: (msg: string, fields?: TFields) => write("debug", component, msg, fields),
  info: (msg: string, fields?: TFields) => write("info", component, msg, fields),
  warn: (msg: string, fields?: TFields) => write("warn", component, msg, fields),
  error: (msg: string, fields?: TFields) => write("error", component, msg, fields),
});
