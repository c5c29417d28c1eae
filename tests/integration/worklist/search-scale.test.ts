/**
 * Worklist search at hospital scale: 10,000 encounters (WORKLIST_SCALE_ENCOUNTERS) over three departments, searched by name part, MRN, birth
 * date and visit number as a clinician of one department. Prints the median time per query form; fails when one is
 * slower than 250 ms (the search box debounces at 200 ms, so the answer must come well within a keystroke pause).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/roles";
import { loadUser } from "@/lib/auth/load-user";
import { seedDemo } from "@/lib/setup/seed-demo";
import { findEncounters } from "@/lib/worklist/find-encounters";
import { foldSearchText } from "@/lib/worklist/fold-search-text";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

const N = Number(process.env.WORKLIST_SCALE_ENCOUNTERS ?? 10_000);
const FAMILY = ["Meyer", "Schmidt", "Nguyen", "García", "Østergård", "O'Brien", "Kowalski", "Rossi", "Yilmaz", "Dubois"];
const GIVEN = ["Anna", "Ben", "Chloé", "David", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas"];
const birthDate = (i: number): string => `19${40 + (i % 60)}0${1 + (i % 9)}1${i % 10}`;

describe(`worklist search over ${N} encounters (${process.env.TEST_DB ?? "sqlite"})`, () => {
  let t: TTestDatabase;
  let derm: TSessionUser;

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.db, { password: "not-used-here" });
    const depts = await t.db.department.findMany({ orderBy: { code: "asc" } });
    derm = (await loadUser(t.db, { email: "derm@example.org" }))!;
    for (let start = 0; start < N; start += 2000) {
      const rows = Array.from({ length: Math.min(2000, N - start) }, (_, k) => start + k);
      await t.db.patient.createMany({
        data: rows.map((i) => {
          const [family, given] = [`${FAMILY[i % 10]}${i}`, GIVEN[Math.floor(i / 10) % 10]!];
          return { id: `p${i}`, mrn: `S${i}`, issuer: "GENHOSP", familyName: family, givenName: given, birthDate: birthDate(i), searchText: foldSearchText(`${family} ${given} S${i}`) };
        }),
      });
      await t.db.encounter.createMany({
        data: rows.map((i) => ({
          patientId: `p${i}`, visitNumber: `SV${i}`, visitIssuer: "GENHOSP", departmentId: depts[i % 3]!.id, pointOfCare: "X",
          status: i % 4 === 0 ? "discharged" : "active", dischargedAt: i % 4 === 0 ? new Date(Date.now() - (i % 200) * 3600_000) : null, admittedAt: new Date(Date.now() - i * 60_000),
        })),
      });
    }
  }, 300_000);
  afterAll(async () => t?.drop());

  it("answers every search form well within a keystroke pause", async () => {
    // DERM is the first department by code, so encounter i with i % 3 === 0 is DERM's.
    const queries: [string, string, (n: number) => boolean][] = [
      ["empty (worklist)", "", (n) => n === 100],
      ["name part", "ostergard", (n) => n > 0],
      ["two name parts", "meyer3 anna", (n) => n > 0],
      ["MRN", "S3000", (n) => n === 1],
      ["visit number", "SV2997", (n) => n === 1],
      ["birth date", `${birthDate(3000).slice(6)}.${birthDate(3000).slice(4, 6)}.${birthDate(3000).slice(0, 4)}`, (n) => n >= 1],
      ["no match", "zzzz", (n) => n === 0],
    ];
    const report: string[] = [];
    for (const [label, q, ok] of queries) {
      const times: number[] = [];
      let count = 0;
      for (let r = 0; r < 7; r++) {
        const t0 = performance.now();
        count = (await findEncounters(t.db, derm, { q })).length;
        times.push(performance.now() - t0);
      }
      const median = times.sort((a, b) => a - b)[3]!;
      report.push(`${label.padEnd(18)} ${String(count).padStart(4)} rows  median ${median.toFixed(1)} ms`);
      expect(ok(count), `${label}: ${count} rows`).toBe(true);
      expect(median, label).toBeLessThan(250);
    }
    console.log(`worklist search, ${N} encounters, ${process.env.TEST_DB ?? "sqlite"}:\n${report.join("\n")}`);
  }, 120_000);
});
