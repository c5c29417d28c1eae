/**
 * The manager's catalog against the real database: every change is a new version with its snapshot, deactivation
 * keeps history, only unused items can be deleted, reordering versions only the items that moved, usage counts
 * studies, and a manager of one department cannot touch another's catalog (refusals are audited).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/roles";
import { deleteCatalogItem } from "@/lib/catalog/delete-catalog-item";
import { setCatalogItemActive } from "@/lib/catalog/deactivate-catalog-item";
import { findCatalogItems } from "@/lib/catalog/find-catalog-items";
import { findDepartmentCatalog } from "@/lib/catalog/find-department-catalog";
import { getCatalogItem } from "@/lib/catalog/get-catalog-item";
import { getCatalogUsage } from "@/lib/catalog/get-catalog-usage";
import { listCatalogDepartments } from "@/lib/catalog/list-catalog-departments";
import { moveCatalogItem, reorderCatalogItems } from "@/lib/catalog/reorder-catalog-items";
import { saveCatalogItem, type TSaveCatalogItemInput } from "@/lib/catalog/save-catalog-item";
import { seedDemo } from "@/lib/setup/seed-demo";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

describe("catalog maintenance", () => {
  let t: TTestDatabase;
  let derm: string;
  let gi: string;
  let dermManager: TSessionUser;
  let admin: TSessionUser;
  let clinician: TSessionUser;

  const item = (over: Partial<TSaveCatalogItemInput> = {}): TSaveCatalogItemInput => ({
    departmentId: derm,
    code: "DERM-MOLE",
    scheme: "99EC",
    meaning: "Mole mapping",
    modality: "XC",
    allowedMedia: ["photo"],
    bodySiteCode: "66643007",
    requireBodySite: true,
    laterality: "",
    mappedCode: "",
    mappedScheme: "",
    mappedMeaning: "",
    routingRuleId: null,
    ...over,
  });

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.db, { password: "integration-pw" });
    derm = (await t.db.department.findUniqueOrThrow({ where: { code: "DERM" } })).id;
    gi = (await t.db.department.findUniqueOrThrow({ where: { code: "GI" } })).id;
    const u = async (email: string, role: TSessionUser["role"], departmentIds: string[]): Promise<TSessionUser> => ({
      id: (await t.db.user.create({ data: { email, name: email, role, passwordHash: "x", departments: { create: departmentIds.map((departmentId) => ({ departmentId })) } } })).id,
      email,
      name: email,
      role,
      departmentIds,
    });
    dermManager = await u("derm-manager@example.org", "manager", [derm]);
    admin = await u("it-admin@example.org", "admin", []);
    clinician = await u("derm-clin@example.org", "clinician", [derm]);
  });
  afterAll(async () => t?.drop());

  it("creates an item at the end of the list as version 1 with its snapshot and an audit event", async () => {
    const created = await saveCatalogItem(t.db, dermManager, item({ mappedScheme: "SCT", mappedCode: "110483000", mappedMeaning: "Surveillance of skin" }));
    expect(created).toMatchObject({ version: 1, created: true });
    const stored = await t.db.catalogItem.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored).toMatchObject({ allowedMedia: "photo", mappedScheme: "SCT", requireBodySite: true, active: true });
    const others = await t.db.catalogItem.findMany({ where: { departmentId: derm, NOT: { id: created.id } } });
    expect(stored.sortOrder).toBeGreaterThan(Math.max(...others.map((o) => o.sortOrder)));
    const versions = await t.db.catalogItemVersion.findMany({ where: { itemId: created.id } });
    expect(versions).toHaveLength(1);
    expect(JSON.parse(versions[0]!.snapshot)).toMatchObject({ code: "DERM-MOLE", meaning: "Mole mapping", allowedMedia: ["photo"], mappedCode: "110483000" });
    expect(versions[0]!.changedById).toBe(dermManager.id);
    expect(await t.db.auditEvent.count({ where: { action: "catalog.save", userId: dermManager.id } })).toBe(1);
  });

  it("every edit bumps the version and keeps the earlier content; an edit without change writes nothing", async () => {
    const id = (await t.db.catalogItem.findFirstOrThrow({ where: { code: "DERM-MOLE" } })).id;
    const edited = await saveCatalogItem(t.db, dermManager, { ...item({ meaning: "Mole mapping (total body)", laterality: "B" }), id, expectedVersion: 1 });
    expect(edited).toMatchObject({ version: 2, created: false });
    expect(edited.changed.sort()).toEqual(["laterality", "meaning", "mappedCode", "mappedMeaning", "mappedScheme"].sort());
    expect((await saveCatalogItem(t.db, dermManager, { ...item({ meaning: "Mole mapping (total body)", laterality: "B" }), id })).version).toBe(2);
    // A stale editor (still on version 1) is told instead of silently overwriting.
    await expect(saveCatalogItem(t.db, dermManager, { ...item({ meaning: "Stale" }), id, expectedVersion: 1 })).rejects.toThrow(/changed meanwhile/);
    const detail = await getCatalogItem(t.db, dermManager, id);
    expect(detail.history.map((h) => h.version)).toEqual([2, 1]);
    expect(detail.history[0]!.changed).toContain("meaning");
    expect(detail.history[1]!.snapshot.meaning).toBe("Mole mapping");
  });

  it("refuses invalid content with the reasons and a duplicate code", async () => {
    await expect(saveCatalogItem(t.db, dermManager, item({ code: "X", meaning: "" }))).rejects.toThrow(/display text is required/);
    await expect(saveCatalogItem(t.db, dermManager, item({ code: "X", mappedScheme: "LN", mappedCode: "abc", mappedMeaning: "m" }))).rejects.toThrow(/LOINC/);
    await expect(saveCatalogItem(t.db, dermManager, item({ code: "X", modality: "US", allowedMedia: ["photo"] }))).rejects.toThrow(/ultrasound/);
    await expect(saveCatalogItem(t.db, dermManager, item({ code: "X", bodySiteCode: "123" }))).rejects.toThrow(/unknown body site/);
    await expect(saveCatalogItem(t.db, dermManager, item({ code: "X", routingRuleId: "nope" }))).rejects.toThrow(/routing bucket/);
    await expect(saveCatalogItem(t.db, dermManager, item())).rejects.toThrow(/already has an item DERM-MOLE/);
    expect(await t.db.catalogItem.count({ where: { code: "X" } })).toBe(0);
  });

  it("takes an active routing rule as the item's bucket", async () => {
    const rule = await t.db.routingRule.create({ data: { name: "Derm VNA" } });
    const id = (await t.db.catalogItem.findFirstOrThrow({ where: { code: "DERM-MOLE" } })).id;
    const saved = await saveCatalogItem(t.db, dermManager, { ...item({ meaning: "Mole mapping (total body)", laterality: "B", routingRuleId: rule.id }), id });
    expect(saved.changed).toEqual(["routingRuleId"]);
    expect((await findDepartmentCatalog(t.db, dermManager, derm)).find((i) => i.id === id)?.routingRuleName).toBe("Derm VNA");
  });

  it("deactivation hides the item from capture and keeps it; reactivation brings it back; both are versions", async () => {
    const id = (await t.db.catalogItem.findFirstOrThrow({ where: { code: "DERM-MOLE" } })).id;
    const before = (await t.db.catalogItem.findUniqueOrThrow({ where: { id } })).version;
    expect((await setCatalogItemActive(t.db, dermManager, id, false)).version).toBe(before + 1);
    expect((await findCatalogItems(t.db, clinician)).map((i) => i.code)).not.toContain("DERM-MOLE");
    expect((await findDepartmentCatalog(t.db, dermManager, derm)).find((i) => i.id === id)?.active).toBe(false);
    expect((await setCatalogItemActive(t.db, dermManager, id, true)).version).toBe(before + 2);
    const visible = await findCatalogItems(t.db, clinician);
    expect(visible.find((i) => i.code === "DERM-MOLE")).toMatchObject({ version: before + 2, allowedMedia: ["photo"], laterality: "B", requireBodySite: true });
  });

  it("reorders: a move versions only the two items that swap, and the clinician's list follows", async () => {
    const before = await findDepartmentCatalog(t.db, dermManager, derm);
    const last = before.at(-1)!;
    const versions = new Map(before.map((i) => [i.id, i.version]));
    expect(await moveCatalogItem(t.db, dermManager, last.id, "up")).toBe(before.length - 2);
    const after = await findDepartmentCatalog(t.db, dermManager, derm);
    expect(after.map((i) => i.id)).toEqual([...before.slice(0, -2).map((i) => i.id), last.id, before.at(-2)!.id]);
    expect(after.filter((i) => i.version !== versions.get(i.id)).map((i) => i.id).sort()).toEqual([last.id, before.at(-2)!.id].sort());
    expect((await findCatalogItems(t.db, clinician, derm)).map((i) => i.id)).toEqual(after.filter((i) => i.active).map((i) => i.id));
    // At the top, "up" is a no-op.
    expect(await moveCatalogItem(t.db, dermManager, after[0]!.id, "up")).toBe(0);
    await expect(reorderCatalogItems(t.db, dermManager, derm, after.slice(1).map((i) => i.id))).rejects.toThrow(/changed meanwhile/);
  });

  it("counts usage per item and refuses to delete a used item; an unused one can go", async () => {
    const lesion = await t.db.catalogItem.findFirstOrThrow({ where: { code: "DERM-LESION" } });
    const patient = await t.db.patient.create({ data: { mrn: "U1", issuer: "GENHOSP" } });
    const encounter = await t.db.encounter.create({ data: { patientId: patient.id, visitNumber: "UV1", visitIssuer: "GENHOSP", departmentId: derm } });
    const old = new Date(Date.now() - 60 * 24 * 3600 * 1000);
    for (const [n, createdAt] of [new Date(), new Date(), old].entries()) {
      await t.db.study.create({ data: { studyInstanceUid: `2.25.${n + 1}`, encounterId: encounter.id, patientId: patient.id, catalogItemId: lesion.id, operatorId: clinician.id, studyDescription: "x", createdAt } });
    }
    const usage = await getCatalogUsage(t.db, dermManager, derm);
    expect(usage.find((u) => u.itemId === lesion.id)).toMatchObject({ studies: 3, last30Days: 2 });
    expect(usage.find((u) => u.itemId === lesion.id)!.lastUsedAt!.getTime()).toBeGreaterThan(old.getTime());
    expect(usage.filter((u) => u.itemId !== lesion.id).every((u) => u.studies === 0 && u.lastUsedAt === null)).toBe(true);
    // The version each capture was made with stays visible once the item changes (the seeded v1 is backfilled).
    await setCatalogItemActive(t.db, dermManager, lesion.id, false);
    const detail = await getCatalogItem(t.db, dermManager, lesion.id);
    expect(detail.studies).toBe(3);
    expect(detail.history.map((h) => [h.version, h.studies, h.by])).toEqual([[lesion.version + 1, 0, "derm-manager@example.org (derm-manager@example.org)"], [lesion.version, 3, "initial catalog"]]);
    await setCatalogItemActive(t.db, dermManager, lesion.id, true);
    await expect(deleteCatalogItem(t.db, dermManager, lesion.id)).rejects.toThrow(/deactivate it instead/);
    const unused = await saveCatalogItem(t.db, dermManager, item({ code: "DERM-TYPO", meaning: "Typo" }));
    await deleteCatalogItem(t.db, dermManager, unused.id);
    expect(await t.db.catalogItem.findUnique({ where: { id: unused.id } })).toBeNull();
    expect(await t.db.catalogItemVersion.count({ where: { itemId: unused.id } })).toBe(0);
    expect(await t.db.auditEvent.count({ where: { action: "catalog.delete" } })).toBe(1);
  });

  it("a manager of one department cannot read or change another's catalog; clinicians none; admins all", async () => {
    const egd = await t.db.catalogItem.findFirstOrThrow({ where: { code: "GI-EGD" } });
    const denied = await t.db.auditEvent.count({ where: { action: "catalog.denied" } });
    await expect(saveCatalogItem(t.db, dermManager, item({ departmentId: gi, code: "GI-NEW" }))).rejects.toThrow(/do not manage/);
    await expect(saveCatalogItem(t.db, dermManager, { ...item({ departmentId: derm, code: "GI-EGD" }), id: egd.id })).rejects.toThrow(/no such catalog item/);
    await expect(setCatalogItemActive(t.db, dermManager, egd.id, false)).rejects.toThrow(/do not manage/);
    await expect(deleteCatalogItem(t.db, dermManager, egd.id)).rejects.toThrow(/do not manage/);
    await expect(moveCatalogItem(t.db, dermManager, egd.id, "down")).rejects.toThrow(/do not manage/);
    await expect(getCatalogItem(t.db, dermManager, egd.id)).rejects.toThrow(/do not manage/);
    await expect(findDepartmentCatalog(t.db, dermManager, gi)).rejects.toThrow(/do not manage/);
    await expect(findDepartmentCatalog(t.db, clinician, derm)).rejects.toThrow(/do not manage/);
    expect(await t.db.auditEvent.count({ where: { action: "catalog.denied" } })).toBe(denied + 7);
    expect((await t.db.catalogItem.findUniqueOrThrow({ where: { id: egd.id } })).active).toBe(true);
    expect((await listCatalogDepartments(t.db, dermManager)).map((d) => d.code)).toEqual(["DERM"]);
    expect((await listCatalogDepartments(t.db, clinician)).map((d) => d.code)).toEqual([]);
    expect((await listCatalogDepartments(t.db, admin)).map((d) => d.code)).toEqual(["DERM", "GI", "WOUND"]);
    expect((await saveCatalogItem(t.db, admin, item({ departmentId: gi, code: "GI-NEW", meaning: "New GI item" }))).created).toBe(true);
  });
});
