/**
 * A real Orthanc (Debian `orthanc` + `orthanc-dicomweb`) as a plain child process, for tests that need an archive.
 * Orthanc listens on all addresses and cannot bind to loopback only, so it gets free, unusual ports (found by
 * binding port 0) and `RemoteAccessAllowed: false`. Storage and index live in a temporary directory that
 * survives stop()/restart() and is removed by dispose() (or at process exit).
 * A missing binary or plugin fails the test naming the Debian packages; it never skips.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";
const INSTALL_HINT = "apt-get install -y --no-install-recommends orthanc orthanc-dicomweb";

export type TOrthanc = {
  /** REST API root, e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  /** DICOMweb base URL for Destination.url; STOW-RS posts to `${stowUrl}/studies`. */
  stowUrl: string;
  httpPort: number;
  dicomPort: number;
  storageDir: string;
  countInstances: () => Promise<number>;
  /** SOP Instance UIDs of every stored instance. */
  listSopInstanceUids: () => Promise<string[]>;
  /** The stored Part 10 file of an instance. */
  getInstanceFile: (sopInstanceUid: string) => Promise<Buffer>;
  /** Files in the storage area (Orthanc names them by 36-character UUIDs): orphans would show up here. */
  countStoredFiles: () => number;
  /** Stop the process (SIGTERM, wait for exit); storage is kept. */
  stop: () => Promise<void>;
  /** Start again on the same ports with the same storage. */
  restart: () => Promise<void>;
  /** Stop and delete the storage. */
  dispose: () => Promise<void>;
};

const findBinary = (): string => {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/bin", "/sbin"];
  const found = dirs.map((d) => path.join(d, "Orthanc")).find((p) => fs.existsSync(p));
  if (!found || !fs.existsSync(PLUGIN)) {
    throw new Error(`Orthanc${found ? "'s DICOMweb plugin" : ""} is not installed: ${INSTALL_HINT}`);
  }

  return found;
};

/** Ports free on every address (Orthanc binds them all); both are held until both are known. */
const freePorts = async (count: number): Promise<number[]> => {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.on("error", reject);
      s.listen(0, () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));

  return ports;
};

/**
 * Extra settings: more configuration keys (e.g. AuthenticationEnabled + RegisteredUsers) and the credentials this
 * harness then uses for its own REST calls. (Orthanc's own HTTPS is not offered: Debian's Orthanc 1.10.1 dies with
 * SIGSEGV on the first TLS connection with SslEnabled here; tests put tests/support/tls-terminator.ts in front.)
 */
export type TOrthancOptions = {
  config?: Record<string, unknown>;
  user?: { name: string; password: string };
};

type TCall = { method?: string; body?: string };

/** A REST call with node's http, sending `user`'s credentials when set. */
const request = (url: string, init: TCall, options: TOrthancOptions): Promise<{ status: number; body: Buffer }> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers: Record<string, string> = options.user
      ? { Authorization: `Basic ${Buffer.from(`${options.user.name}:${options.user.password}`).toString("base64")}` }
      : {};
    const req = (target.protocol === "https:" ? https : http).request(
      target,
      { method: init.method ?? "GET", headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });

const jsonWith = (options: TOrthancOptions) => async <T>(url: string, init: TCall = {}): Promise<T> => {
  const res = await request(url, init, options);
  if (res.status < 200 || res.status >= 300) {
    throw new Error(`${init.method ?? "GET"} ${url}: HTTP ${res.status}`);
  }

  return JSON.parse(res.body.toString("utf8")) as T;
};

/**
 * Start Orthanc and wait until its REST API and DICOMweb plugin answer.
 * @param options - `config`: extra Orthanc configuration keys (e.g. MaximumPatientCount), merged over the defaults;
 *   `user`: credentials for the harness's own REST calls when `config` turns authentication on
 */
export const startOrthanc = async (options: TOrthancOptions = {}): Promise<TOrthanc> => {
  const json = jsonWith(options);
  const binary = findBinary();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ec-orthanc-"));
  const [httpPort, dicomPort] = (await freePorts(2)) as [number, number];
  const storageDir = path.join(root, "storage");
  const configFile = path.join(root, "orthanc.json");
  fs.writeFileSync(configFile, JSON.stringify({
    Name: "ec-test", HttpPort: httpPort, DicomPort: dicomPort, DicomAet: "ECTEST",
    StorageDirectory: storageDir, IndexDirectory: path.join(root, "index"),
    Plugins: [PLUGIN], DicomWeb: { Enable: true, Root: "/dicom-web/" },
    RemoteAccessAllowed: false, AuthenticationEnabled: false, SaveJobs: false,
    ...options.config,
  }, null, 2));
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const cleanup = (): void => fs.rmSync(root, { recursive: true, force: true });
  process.once("exit", cleanup);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = "";

  const launch = async (): Promise<void> => {
    output = "";
    const proc = spawn(binary, [configFile], { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString("latin1").replace(/\0/g, "")).slice(-8000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    for (let i = 0; i < 200; i++) {
      if (proc.exitCode !== null) {
        break;
      }
      try {
        const plugins = await json<string[]>(`${baseUrl}/plugins`);
        if (plugins.includes("dicom-web")) {
          return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill("SIGKILL");
    throw new Error(`Orthanc did not start on port ${httpPort}:\n${output}`);
  };

  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null) {
      const proc = child;
      const force = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      proc.kill("SIGTERM");
      // Orthanc holds its SQLite index until it has exited; a new process started earlier fails ("database is locked").
      await exited;
      clearTimeout(force);
    }
  };

  const findInstanceId = async (sopInstanceUid: string): Promise<string> => {
    const found = await json<string[]>(`${baseUrl}/tools/find`, {
      method: "POST",
      body: JSON.stringify({ Level: "Instance", Query: { SOPInstanceUID: sopInstanceUid } }),
    });
    if (found.length !== 1 || !found[0]) {
      throw new Error(`Orthanc holds ${found.length} instances with SOP Instance UID ${sopInstanceUid}`);
    }

    return found[0];
  };

  await launch();

  return {
    baseUrl,
    stowUrl: `${baseUrl}/dicom-web`,
    httpPort,
    dicomPort,
    storageDir,
    countInstances: async () => (await json<{ CountInstances: number }>(`${baseUrl}/statistics`)).CountInstances,
    listSopInstanceUids: async () => {
      const all = await json<{ MainDicomTags: { SOPInstanceUID: string } }[]>(`${baseUrl}/instances?expand`);

      return all.map((i) => i.MainDicomTags.SOPInstanceUID);
    },
    getInstanceFile: async (sopInstanceUid) => {
      return (await request(`${baseUrl}/instances/${await findInstanceId(sopInstanceUid)}/file`, {}, options)).body;
    },
    countStoredFiles: () => {
      if (!fs.existsSync(storageDir)) {
        return 0;
      }
      const entries = fs.readdirSync(storageDir, { recursive: true, withFileTypes: true });

      return entries.filter((e) => e.isFile() && e.name.length === 36).length;
    },
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    dispose: async () => {
      await stop();
      cleanup();
      process.removeListener("exit", cleanup);
    },
  };
};
