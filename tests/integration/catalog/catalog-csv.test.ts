/**
 * CSV export/import of a department's catalog: an export imports back without changes; an edited sheet updates by
 * (code, scheme), creates new items and records versions; one bad row rejects the whole file with row numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/roles";
import { parseCsv, toCsv } from "@/lib/catalog/csv";
import { exportCatalogCsv } from "@/lib/catalog/export-catalog-csv";
import { findDepartmentCatalog } from "@/lib/catalog/find-department-catalog";
import { importCatalogCsv } from "@/lib/catalog/import-catalog-csv";
import { seedDemo } from "@/lib/setup/seed-demo";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

describe("catalog CSV", () => {
  let t: TTestDatabase;
  let derm: string;
  let gi: string;
  let manager: TSessionUser;

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.db, { password: "integration-pw" });
    derm = (await t.db.department.findUniqueOrThrow({ where: { code: "DERM" } })).id;
    gi = (await t.db.department.findUniqueOrThrow({ where: { code: "GI" } })).id;
    const id = (await t.db.user.create({ data: { email: "csv-manager@example.org", name: "m", role: "manager", passwordHash: "x", departments: { create: [{ departmentId: derm }] } } })).id;
    manager = { id, email: "csv-manager@example.org", name: "m", role: "manager", departmentIds: [derm] };
    await t.db.routingRule.create({ data: { name: "Teaching, file" } });
  });
  afterAll(async () => t?.drop());

  it("writes and reads RFC 4180 with formula cells guarded", () => {
    const csv = toCsv([["a", 'say "hi", then\nleave', "=SUM(A1)", "-", ""]]);
    expect(csv).toBe('a,"say ""hi"", then\nleave",\'=SUM(A1),\'-,\r\n');
    expect(parseCsv(csv)).toEqual([["a", 'say "hi", then\nleave', "'=SUM(A1)", "'-", ""]]);
  });

  it("an export imports back unchanged (no new versions)", async () => {
    const { fileName, csv } = await exportCatalogCsv(t.db, manager, derm);
    expect(fileName).toBe("catalog-DERM.csv");
    expect(csv.split("\r\n")[0]).toBe("code,scheme,meaning,modality,allowedMedia,bodySiteCode,requireBodySite,laterality,mappedCode,mappedScheme,mappedMeaning,routingRule,active,sortOrder");
    expect(csv).toContain('DERM-LESION,99EC,Skin lesion photography,XC,"photo,video",,false,,,,,,true,0');
    expect(await importCatalogCsv(t.db, manager, derm, csv)).toEqual({ ok: true, created: 0, updated: 0, unchanged: 3 });
    expect(await t.db.catalogItemVersion.count()).toBe(0);
  });

  it("updates by (code, scheme), creates new items, records versions and round-trips", async () => {
    const { csv } = await exportCatalogCsv(t.db, manager, derm);
    const rows = parseCsv(csv).filter((r) => r.length > 1);
    const at = (name: string) => rows[0]!.indexOf(name);
    const tbp = rows.find((r) => r[0] === "DERM-TBP")!;
    tbp[at("meaning")] = "Total body photography, 24 views";
    tbp[at("active")] = "false";
    rows.push(["DERM-US", "99EC", "=Skin ultrasound", "us", "ultrasound", "73897004", "yes", "L", "16310003", "SCT", "Ultrasonography", "Teaching, file", "true", ""]);
    const result = await importCatalogCsv(t.db, manager, derm, toCsv(rows));
    expect(result).toEqual({ ok: true, created: 1, updated: 1, unchanged: 2 });
    const items = await findDepartmentCatalog(t.db, manager, derm);
    expect(items.find((i) => i.code === "DERM-TBP")).toMatchObject({ meaning: "Total body photography, 24 views", active: false, version: 2 });
    expect(items.find((i) => i.code === "DERM-US")).toMatchObject({
      meaning: "=Skin ultrasound", modality: "US", allowedMedia: ["ultrasound"], requireBodySite: true, laterality: "L",
      mappedCode: "16310003", mappedScheme: "SCT", routingRuleName: "Teaching, file", version: 1, active: true,
    });
    expect(items.at(-1)!.code).toBe("DERM-US");
    // The TBP item got its seeded content recorded as version 1 and the import as version 2.
    const tbpId = items.find((i) => i.code === "DERM-TBP")!.id;
    const versions = await t.db.catalogItemVersion.findMany({ where: { itemId: tbpId }, orderBy: { version: "asc" } });
    expect(versions.map((v) => [v.version, JSON.parse(v.snapshot).meaning, v.changedById])).toEqual([
      [1, "Total body photography", null],
      [2, "Total body photography, 24 views", manager.id],
    ]);
    const again = await exportCatalogCsv(t.db, manager, derm);
    expect(await importCatalogCsv(t.db, manager, derm, again.csv)).toEqual({ ok: true, created: 0, updated: 0, unchanged: 4 });
    expect(again.csv).toContain(",'=Skin ultrasound,");
  });

  it("a partial sheet (only some columns) changes only those", async () => {
    const result = await importCatalogCsv(t.db, manager, derm, "code,scheme,meaning\r\nDERM-DERMOSCOPY,99EC,Dermoscopy (polarised)\r\n");
    expect(result).toEqual({ ok: true, created: 0, updated: 1, unchanged: 0 });
    expect(await t.db.catalogItem.findFirstOrThrow({ where: { code: "DERM-DERMOSCOPY" } })).toMatchObject({ meaning: "Dermoscopy (polarised)", modality: "XC", allowedMedia: "photo,video", version: 2 });
  });

  it("an empty cell clears an optional field (body site, mapping) and keeps a required one", async () => {
    const sheet = "code,scheme,meaning,bodySiteCode,laterality,mappedCode,mappedScheme,mappedMeaning,modality,active\r\nDERM-US,99EC,Skin ultrasound,,,,,,,\r\n";
    expect(await importCatalogCsv(t.db, manager, derm, sheet)).toEqual({ ok: true, created: 0, updated: 1, unchanged: 0 });
    expect(await t.db.catalogItem.findFirstOrThrow({ where: { code: "DERM-US" } })).toMatchObject({
      meaning: "Skin ultrasound", bodySiteCode: "", laterality: "", mappedCode: "", mappedScheme: "", mappedMeaning: "", modality: "US", active: true, version: 2,
    });
  });

  it("one bad row rejects the whole file, naming each bad row", async () => {
    const before = await t.db.catalogItem.findMany({ orderBy: { id: "asc" } });
    const csv = [
      "code,scheme,meaning,modality,allowedMedia,laterality,routingRule,requireBodySite",
      "DERM-NEW,99EC,A fine new item,XC,photo,,,",
      "DERM-BAD,99EC,,XX,photo,Q,No such bucket,maybe",
      "",
      "DERM-NEW,99EC,Duplicate,XC,photo,,,",
      "DERM-SHORT,99EC",
    ].join("\n");
    const result = await importCatalogCsv(t.db, manager, derm, csv);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((e) => e.row)).toEqual([3, 5, 6]);
    expect(errors[0]!.message).toMatch(/display text is required/);
    expect(errors[0]!.message).toMatch(/modality/);
    expect(errors[0]!.message).toMatch(/laterality/);
    expect(errors[0]!.message).toMatch(/requireBodySite: must be true or false/);
    expect(errors[0]!.message).toMatch(/no active routing bucket named "No such bucket"/);
    expect(errors[1]!.message).toMatch(/already on row 2/);
    expect(errors[2]!.message).toMatch(/has 2 cells/);
    expect(await t.db.catalogItem.findMany({ orderBy: { id: "asc" } })).toEqual(before);
    const header = await importCatalogCsv(t.db, manager, derm, "code,meaning,colour\nA,B,C\n");
    expect(header).toEqual({ ok: false, errors: [{ row: 1, message: expect.stringMatching(/missing column\(s\) scheme; unknown column\(s\) colour/) }] });
  });

  it("a manager cannot export or import another department's catalog", async () => {
    await expect(exportCatalogCsv(t.db, manager, gi)).rejects.toThrow(/do not manage/);
    await expect(importCatalogCsv(t.db, manager, gi, "code,scheme,meaning\nGI-X,99EC,x\n")).rejects.toThrow(/do not manage/);
    expect(await t.db.catalogItem.count({ where: { code: "GI-X" } })).toBe(0);
    expect(await t.db.auditEvent.count({ where: { action: { in: ["catalog.import", "catalog.export"] } } })).toBe(8);
    expect(await t.db.auditEvent.count({ where: { action: "catalog.denied", userId: manager.id } })).toBe(2);
  });
});
