// Writes prisma/postgresql/schema.prisma from prisma/schema.prisma (the only differences: provider and client
// output), so both databases share one data model. Run after editing prisma/schema.prisma.
import fs from "node:fs";

const src = fs.readFileSync("prisma/schema.prisma", "utf8");
const out = src
  .replace(/(output\s*=\s*)"\.\.\/lib\/generated\/sqlite"/, '$1"../../lib/generated/pg"')
  .replace(/(provider\s*=\s*)"sqlite"/, '$1"postgresql"')
  .replace(/^\/\/ Source of truth.*\n(\/\/.*\n)*/m, "// GENERATED from prisma/schema.prisma by scripts/prisma-schemas.mjs — do not edit.\n");
if (out === src || !out.includes('provider = "postgresql"') || !out.includes("lib/generated/pg")) {
  throw new Error("prisma-schemas: pattern not found in prisma/schema.prisma");
}
fs.mkdirSync("prisma/postgresql", { recursive: true });
fs.writeFileSync("prisma/postgresql/schema.prisma", out);
