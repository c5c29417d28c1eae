// `npm test`: every test, on a fresh clone. Installs what is missing (npm dependencies; Debian packages when
// root), type-checks, builds the web app for the browser test, then runs the vitest projects:
//   unit · integration on SQLite · integration on PostgreSQL · e2e (browser) — and prints "N passed, M failed".
// TEST_DATABASES=sqlite limits the integration run to SQLite (PostgreSQL is otherwise required, not skipped).
// A test file that contains the marker ONE_PASS (below) runs on the first database only: it uses no database, or what
// it checks does not depend on one (each such file says why next to the marker).
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureDependencies, ensurePrismaClients } from "./prepare.mjs";
import { ensureSystemPackages } from "./system-packages.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(ROOT, "node_modules/.bin", name);
process.env.NEXT_TELEMETRY_DISABLED = "1";
process.env.CHECKPOINT_DISABLE = "1";
process.env.TEST_RUN_ID ||= `r${crypto.randomBytes(4).toString("hex")}`;

/** Marker of test files that one database pass covers. */
const ONE_PASS = "@test-once-per-run";

/** Test files under `dir` that carry the ONE_PASS marker, relative to the root. */
const onePassFiles = (dir) =>
  fs
    .readdirSync(path.join(ROOT, dir), { recursive: true })
    .filter((f) => String(f).endsWith(".test.ts"))
    .map((f) => path.join(dir, String(f)))
    .filter((f) => fs.readFileSync(path.join(ROOT, f), "utf8").includes(ONE_PASS));

const step = (title, cmd, args, env = {}) => {
  console.log(`\n=== ${title}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...env } });
  console.log(`=== ${title}: ${r.status === 0 ? "ok" : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return r.status === 0;
};

const main = async () => {
  ensureDependencies();
  ensurePrismaClients();
  ensureSystemPackages();
  const only = process.argv.slice(2); // e.g. `npm test -- unit` or `npm test -- integration tests/integration/hl7`
  const databases = (process.env.TEST_DATABASES || "sqlite,postgresql").split(",").map((s) => s.trim());
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-vitest-"));
  const runs = [
    { name: "unit", project: "unit", env: {} },
    ...databases.map((db, i) => ({ name: `integration (${db})`, project: "integration", env: { TEST_DB: db }, once: i > 0 ? onePassFiles("tests/integration") : [] })),
    ...databases.map((db, i) => ({ name: `e2e (browser, ${db})`, project: "e2e", env: { TEST_DB: db }, once: i > 0 ? onePassFiles("tests/e2e") : [] })),
  ].filter((r) => only.length === 0 || only[0] === r.project);
  const filters = only.slice(1);

  let ok = true;
  if (only.length === 0) {
    ok = step("typecheck", bin("tsc"), ["--noEmit", "-p", "."]) && ok;
  }
  if (runs.some((r) => r.project === "e2e")) {
    ok = step("next build", bin("next"), ["build"]) && ok;
  }
  let passed = 0;
  let failed = 0;
  for (const [i, r] of runs.entries()) {
    const report = path.join(reportDir, `${i}.json`);
    const excluded = (r.once ?? []).flatMap((f) => ["--exclude", f]);
    if (excluded.length > 0) {
      console.log(`(${r.once.length} file(s) marked ${ONE_PASS} ran in the first database pass: ${r.once.join(", ")})`);
    }
    const good = step(r.name, bin("vitest"), ["run", "--project", r.project, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...excluded, ...filters], r.env);
    ok = good && ok;
    if (fs.existsSync(report)) {
      const j = JSON.parse(fs.readFileSync(report, "utf8"));
      passed += j.numPassedTests;
      failed += j.numFailedTests + (j.numTotalTestSuites > 0 && !good && j.numFailedTests === 0 ? 1 : 0);
    } else if (!good) {
      failed += 1;
    }
  }
  const { dropTemplates } = await import("../tests/support/template-db.mjs");
  await dropTemplates();
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(ok && failed === 0 ? 0 : 1);
};

main().catch((e) => {
  console.error(`[test] ${e.message}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
