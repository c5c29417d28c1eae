import { afterEach, expect, test } from "vitest";
import { runDciodvfy, runDcmdump, runExiftool } from "@/tests/support/dicom-tools";

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

test("a missing tool fails with the Debian package to install, never a skip", () => {
  process.env.PATH = "/nonexistent";
  expect(() => runDciodvfy("/tmp/x.dcm")).toThrow(/dciodvfy is not installed: apt-get install .*dicom3tools/);
  expect(() => runDcmdump("/tmp/x.dcm")).toThrow(/dcmdump is not installed: apt-get install .*dcmtk/);
  expect(() => runExiftool("/tmp/x.dcm")).toThrow(/exiftool is not installed: apt-get install .*libimage-exiftool-perl/);
});
