// The Debian packages the tests (and video features) need. When one is missing: as root, install it
// (apt-get); otherwise stop with a message naming the packages. Never skip silently.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;

/** package → a check that it is usable */
export const SYSTEM_PACKAGES = {
  orthanc: () => has("Orthanc"),
  "orthanc-dicomweb": () => fs.existsSync("/usr/share/orthanc/plugins/libOrthancDicomWeb.so"),
  dcmtk: () => has("dcmdump") && has("storescp") && has("img2dcm"),
  dicom3tools: () => has("dciodvfy"),
  "python3-hl7": () => has("mllp_send"),
  "python3-pydicom": () => spawnSync("/usr/bin/python3", ["-c", "import pydicom"], { stdio: "ignore" }).status === 0,
  chromium: () => fs.existsSync("/usr/bin/chromium"),
  ffmpeg: () => has("ffmpeg") && has("ffprobe"),
  "libimage-exiftool-perl": () => has("exiftool"),
  // heif-convert decodes HEVC HEIC photos (sharp's prebuilt libvips cannot); heif-enc makes HEIC test inputs.
  "libheif-examples": () => has("heif-convert") && has("heif-enc"),
};

/** What the running app itself needs (video → ffmpeg/ffprobe, HEIC → heif-convert); the rest is for the tests. */
export const RUNTIME_PACKAGES = ["ffmpeg", "libheif-examples"];

export const missingPackages = (names = Object.keys(SYSTEM_PACKAGES)) =>
  names.filter((name) => !SYSTEM_PACKAGES[name]());

/** Install the missing packages of `names` (default: all) as root with apt-get; throw naming them otherwise. */
export const ensureSystemPackages = (names = Object.keys(SYSTEM_PACKAGES)) => {
  let missing = missingPackages(names);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !has("apt-get")) {
    throw new Error(
      `missing Debian packages: ${missing.join(" ")}\n` +
        `install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(" ")}`,
    );
  }
  console.log(`[system] installing Debian packages: ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  if (update.status !== 0) throw new Error("apt-get update failed");
  const install = spawnSync(
    "apt-get",
    ["install", "-y", "-qq", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=600", ...missing],
    { stdio: "inherit", env },
  );
  missing = missingPackages(names);
  if (install.status !== 0 || missing.length > 0) throw new Error(`could not install: ${missing.join(" ")}`);
};
