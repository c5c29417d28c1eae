/**
 * Independent DICOM readers for tests: dicom3tools `dciodvfy`, dcmtk `dcmdump`, pydicom (Debian's
 * /usr/bin/python3) and exiftool. A missing tool fails the test with the Debian package to install; it never skips.
 */
import { spawnSync } from "node:child_process";

type TTool = { command: string; debianPackage: string };

const TOOLS = {
  dciodvfy: { command: "dciodvfy", debianPackage: "dicom3tools" },
  dcmdump: { command: "dcmdump", debianPackage: "dcmtk" },
  python: { command: "/usr/bin/python3", debianPackage: "python3-pydicom" },
  exiftool: { command: "exiftool", debianPackage: "libimage-exiftool-perl" },
  dcmsend: { command: "dcmsend", debianPackage: "dcmtk" },
} satisfies Record<string, TTool>;

/** Runs a tool and returns stdout + stderr; throws naming the Debian package when the tool is missing. */
const run = (tool: TTool, args: string[], okExitCodes: number[] = [0]): { stdout: string; stderr: string } => {
  const result = spawnSync(tool.command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new Error(
        `${tool.command} is not installed: apt-get install -y --no-install-recommends ${tool.debianPackage}`,
      );
    }
    throw result.error;
  }
  if (result.status === null || !okExitCodes.includes(result.status)) {
    const output = `${result.stdout}${result.stderr}`;
    throw new Error(`${tool.command} ${args.join(" ")} exited with ${result.status}:\n${output}`);
  }
  return { stdout: result.stdout, stderr: result.stderr };
};

/** `dciodvfy -new file`: validates the object against its IOD; the report (stdout + stderr) is returned. */
export const runDciodvfy = (file: string): string => {
  const { stdout, stderr } = run(TOOLS.dciodvfy, ["-new", file], [0, 1]);
  return stdout + stderr;
};

/** `dcmdump` of the file, with `+U8` so values are printed as UTF-8. */
export const runDcmdump = (file: string, extraArgs: string[] = []): string =>
  run(TOOLS.dcmdump, ["+U8", ...extraArgs, file]).stdout;

/** `exiftool -a -G1` of the file; returns every tag exiftool finds. */
export const runExiftool = (file: string): string => run(TOOLS.exiftool, ["-a", "-G1", "-u", file]).stdout;

/** What pydicom reads: file meta and dataset as keyword → string / string[] / nested items; Pixel Data items. */
export type TPydicomRead = {
  meta: Record<string, unknown>;
  dataset: Record<string, unknown>;
  /** Every item of the encapsulated Pixel Data, Basic Offset Table first: length and hex SHA-256. */
  pixelItems: Array<{ length: number; sha256: string }>;
};

const PYDICOM_SCRIPT = `
import hashlib, json, struct, sys
import pydicom

def value(elem):
    if elem.VR == "SQ":
        return [tree(item) for item in elem.value]
    if elem.value is None or elem.value == "":
        return ""
    if isinstance(elem.value, (bytes, bytearray)):
        return None
    if isinstance(elem.value, pydicom.multival.MultiValue):
        return [str(v) for v in elem.value]
    return str(elem.value)

def tree(ds):
    return {e.keyword: value(e) for e in ds if e.keyword and e.keyword != "PixelData"}

ds = pydicom.dcmread(sys.argv[1])
raw = ds.PixelData
items, pos = [], 0
while pos + 8 <= len(raw):
    group, elem, length = struct.unpack_from("<HHI", raw, pos)
    pos += 8
    if (group, elem) == (0xFFFE, 0xE0DD):
        break
    items.append({"length": length, "sha256": hashlib.sha256(raw[pos:pos + length]).hexdigest()})
    pos += length
print(json.dumps({"meta": tree(ds.file_meta), "dataset": tree(ds), "pixelItems": items}))
`;

/** Fails with the Debian package name when Debian's Python cannot import pydicom (a pyenv python3 cannot). */
const assertPydicomInstalled = (): void => {
  const { stdout } = run(TOOLS.python, ["-c", "import importlib.util as u; print(u.find_spec('pydicom') is not None)"]);
  if (stdout.trim() !== "True") {
    throw new Error("pydicom is not importable by /usr/bin/python3: apt-get install -y python3-pydicom");
  }
};

/** Reads the file with pydicom 2.x and returns a JSON-friendly view of it. */
export const readWithPydicom = (file: string): TPydicomRead => {
  assertPydicomInstalled();
  const { stdout } = run(TOOLS.python, ["-c", PYDICOM_SCRIPT, file]);
  return JSON.parse(stdout) as TPydicomRead;
};

/**
 * DIMSE C-STORE of files with dcmtk `dcmsend --decompress-never`: each file is offered in exactly its own transfer
 * syntax (no conversion to uncompressed), so the archive must accept the encoding as is; throws with dcmsend's
 * output when any store fails (non-zero exit).
 * @param files - DICOM Part 10 files
 * @param target - the SCP's port and called AE title
 */
export const storeWithDimse = (files: string[], target: { port: number; aet: string }): string =>
  run(TOOLS.dcmsend, ["--decompress-never", "-aet", "EC_TEST_SCU", "-aec", target.aet, "127.0.0.1", String(target.port), ...files]).stderr;
