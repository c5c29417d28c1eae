import path from "node:path";
import { defineConfig } from "vitest/config";

// Test projects: unit (pure logic), integration (real database, real sockets, real Orthanc / dcmtk / mllp_send),
// e2e (the built app in Debian chromium). scripts/test.mjs runs them in that order, integration once per database.
export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname),
      "server-only": path.resolve(import.meta.dirname, "tests/support/empty-module.ts"),
    },
  },
  test: {
    globals: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    env: { LOG_LEVEL: "silent", NEXT_TELEMETRY_DISABLED: "1", CHECKPOINT_DISABLE: "1" },
    projects: [
      { extends: true, test: { name: "unit", include: ["tests/unit/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "integration", include: ["tests/integration/**/*.test.ts"], fileParallelism: false },
      },
      { extends: true, test: { name: "e2e", include: ["tests/e2e/**/*.test.ts"], fileParallelism: false } },
    ],
  },
});
