/**
 * The admin's lib functions against the real database: users (create with a shown-once password, role and
 * departments, deactivate, reset password), API tokens (shown once, revoked → refused, last use), and the audit log
 * (filters, pages, CSV export; reading it is itself audited). Non-admins are refused in lib, and that is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportAuditCsv } from "@/lib/audit/export-audit-csv";
import { AUDIT_EVENTS_PER_PAGE, findAuditEvents } from "@/lib/audit/find-audit-events";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { findTokenUserId, issueApiToken, listApiTokens, revokeApiToken } from "@/lib/auth/api-tokens";
import { verifyPassword } from "@/lib/auth/hash-password";
import { loadUser } from "@/lib/auth/load-user";
import type { TSessionUser } from "@/lib/auth/roles";
import { parseCsv } from "@/lib/catalog/csv";
import { seedDemo } from "@/lib/setup/seed-demo";
import { findUsers } from "@/lib/users/find-users";
import { resetUserPassword } from "@/lib/users/reset-user-password";
import { saveUser } from "@/lib/users/save-user";
import { setUserActive } from "@/lib/users/set-user-active";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

describe("users, tokens and the audit log", () => {
  let t: TTestDatabase;
  let admin: TSessionUser;
  let manager: TSessionUser;
  let derm: string;
  let gi: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.db, { password: "integration-pw" });
    admin = (await loadUser(t.db, { email: "admin@example.org" }))!;
    manager = (await loadUser(t.db, { email: "manager@example.org" }))!;
    derm = (await t.db.department.findUniqueOrThrow({ where: { code: "DERM" } })).id;
    gi = (await t.db.department.findUniqueOrThrow({ where: { code: "GI" } })).id;
  });
  afterAll(async () => t?.drop());

  it("creates a user with a generated first password shown once, then changes role and departments", async () => {
    const created = await saveUser(t.db, admin, { email: " New.Nurse@Example.org ", name: "Nina Nurse", role: "clinician", departmentIds: [derm] });
    expect(created.password).toMatch(/^[\w-]{15}$/);
    const row = await t.db.user.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.email).toBe("new.nurse@example.org");
    expect(await verifyPassword(created.password!, row.passwordHash)).toBe(true);
    expect((await loadUser(t.db, { id: created.id }))?.departmentIds).toEqual([derm]);
    expect(await saveUser(t.db, admin, { id: created.id, email: "new.nurse@example.org", name: "Nina Nurse", role: "manager", departmentIds: [derm, gi] })).toEqual({ id: created.id });
    expect(await loadUser(t.db, { id: created.id })).toMatchObject({ role: "manager", departmentIds: expect.arrayContaining([derm, gi]) });
    const listed = (await findUsers(t.db, admin)).find((u) => u.id === created.id);
    expect(listed?.departments.map((d) => d.code)).toEqual(["DERM", "GI"]);
    expect(await t.db.auditEvent.findMany({ where: { subject: `user ${created.id}` }, select: { action: true, detail: true }, orderBy: { at: "asc" } })).toEqual([
      { action: "user.create", detail: "new.nurse@example.org: clinician; departments DERM" },
      { action: "user.update", detail: "new.nurse@example.org: clinician → manager; departments DERM, GI" },
    ]);
  });

  it("refuses bad input, a duplicate e-mail, a department-less clinician and demoting the last admin", async () => {
    await expect(saveUser(t.db, admin, { email: "nope", name: "", role: "clinician", departmentIds: [derm] })).rejects.toThrow(/e-mail/);
    await expect(saveUser(t.db, admin, { email: "x@example.org", name: "", role: "root" as "admin", departmentIds: [] })).rejects.toThrow(/role must be/);
    await expect(saveUser(t.db, admin, { email: "derm@example.org", name: "", role: "clinician", departmentIds: [derm] })).rejects.toThrow(/exists already/);
    await expect(saveUser(t.db, admin, { email: "y@example.org", name: "", role: "clinician", departmentIds: [] })).rejects.toThrow(/at least one department/);
    await expect(saveUser(t.db, admin, { email: "z@example.org", name: "", role: "clinician", departmentIds: [derm], password: "short" })).rejects.toThrow(/10 characters/);
    await expect(saveUser(t.db, admin, { id: admin.id, email: admin.email, name: admin.name, role: "manager", departmentIds: [derm] })).rejects.toThrow(/last active admin/);
    await expect(setUserActive(t.db, admin, admin.id, false)).rejects.toThrow(/yourself/);
  });

  it("deactivation locks the user out at once; reactivation and a password reset let them back", async () => {
    const derm1 = (await loadUser(t.db, { email: "derm@example.org" }))!;
    await setUserActive(t.db, admin, derm1.id, false);
    expect(await loadUser(t.db, { id: derm1.id })).toBeNull();
    await setUserActive(t.db, admin, derm1.id, true);
    const password = await resetUserPassword(t.db, admin, derm1.id);
    expect(await verifyPassword(password, (await t.db.user.findUniqueOrThrow({ where: { id: derm1.id } })).passwordHash)).toBe(true);
    expect(await verifyPassword("integration-pw", (await t.db.user.findUniqueOrThrow({ where: { id: derm1.id } })).passwordHash)).toBe(false);
    expect((await t.db.auditEvent.findMany({ where: { subject: `user ${derm1.id}` }, orderBy: { at: "asc" } })).map((e) => e.action)).toEqual([
      "user.deactivate", "user.activate", "user.password-reset",
    ]);
  });

  it("issues a token once, records its last use, and a revoked token no longer authenticates", async () => {
    const derm1 = (await loadUser(t.db, { email: "derm@example.org" }))!;
    const { token } = await issueApiToken(t.db, admin, { userId: derm1.id, label: "ward scanner" });
    expect(token).toMatch(/^ect_/);
    const [row] = await listApiTokens(t.db, admin);
    expect(row).toMatchObject({ label: "ward scanner", lastUsedAt: null, revokedAt: null, user: { email: "derm@example.org" } });
    expect(JSON.stringify(await listApiTokens(t.db, admin))).not.toContain(token);
    expect(await findTokenUserId(t.db, token)).toBe(derm1.id);
    expect((await listApiTokens(t.db, admin))[0]!.lastUsedAt).toBeInstanceOf(Date);
    await revokeApiToken(t.db, admin, row!.id);
    expect(await findTokenUserId(t.db, token)).toBeNull();
    expect((await listApiTokens(t.db, admin))[0]!.revokedAt).toBeInstanceOf(Date);
    await expect(issueApiToken(t.db, admin, { userId: derm1.id, label: "" })).rejects.toThrow(/label/);
    expect(await t.db.auditEvent.count({ where: { action: { in: ["token.create", "token.revoke"] } } })).toBe(2);
  });

  it("filters the audit log by user, patient, action and date, pages it, exports it, and audits the reading", async () => {
    const patient = await t.db.patient.create({ data: { mrn: "AUD-1", issuer: "GENHOSP", familyName: "Auditson", givenName: "Ann" } });
    const derm1 = (await loadUser(t.db, { email: "derm@example.org" }))!;
    const old = new Date("2026-01-10T12:00:00");
    for (let i = 0; i < AUDIT_EVENTS_PER_PAGE + 5; i++) {
      await recordAuditEvent(t.db, { action: "patient.view", userId: derm1.id, patientId: patient.id, subject: `encounter E${i}`, detail: i === 0 ? "=cmd|' /C calc'!A0" : "" });
    }
    await t.db.auditEvent.create({ data: { action: "capture.create", userId: derm1.id, patientId: patient.id, at: old } });
    const page0 = await findAuditEvents(t.db, admin, { user: "derm@", patient: "AUD-1", action: "patient.view" });
    expect(page0.total).toBe(AUDIT_EVENTS_PER_PAGE + 5);
    expect(page0.rows).toHaveLength(AUDIT_EVENTS_PER_PAGE);
    expect(page0.rows[0]).toMatchObject({ user: "derm@example.org", patient: "AUDITSON, Ann (AUD-1^GENHOSP)", action: "patient.view" });
    expect((await findAuditEvents(t.db, admin, { user: "derm@", action: "patient.view", page: 1 })).rows).toHaveLength(5);
    const byDate = await findAuditEvents(t.db, admin, { patient: patient.id, from: "2026-01-10", to: "2026-01-10" });
    expect(byDate.rows.map((r) => r.action)).toEqual(["capture.create"]);
    expect((await findAuditEvents(t.db, admin, { action: "user.*" })).rows.every((r) => r.action.startsWith("user."))).toBe(true);
    await expect(findAuditEvents(t.db, admin, { from: "10/01/2026" })).rejects.toThrow(/YYYY-MM-DD/);
    const views = await t.db.auditEvent.findMany({ where: { action: "audit.view", userId: admin.id }, orderBy: { at: "asc" } });
    expect(views.length).toBe(4);
    expect(views[0]!.detail).toBe("user=derm@ patient=AUD-1 action=patient.view");

    const exported = await exportAuditCsv(t.db, admin, { patient: "AUD-1" });
    expect(exported).toMatchObject({ count: AUDIT_EVENTS_PER_PAGE + 6, truncated: false });
    const rows = parseCsv(exported.csv).filter((r) => r.length > 1);
    expect(rows[0]).toEqual(["at", "action", "outcome", "user", "patient", "studyId", "subject", "detail", "source"]);
    expect(rows).toHaveLength(AUDIT_EVENTS_PER_PAGE + 7);
    // A formula typed into an audited field cannot run in the admin's spreadsheet.
    expect(exported.csv).toContain("'=cmd|");
    expect(await t.db.auditEvent.findFirst({ where: { action: "audit.export" } })).toMatchObject({ userId: admin.id, detail: `${AUDIT_EVENTS_PER_PAGE + 6} event(s); patient=AUD-1` });
  });

  it("refuses every admin function to a non-admin, in lib, and audits the refusal", async () => {
    const before = await t.db.auditEvent.count({ where: { action: "admin.denied" } });
    await expect(findUsers(t.db, manager)).rejects.toThrow(/admin role/);
    await expect(saveUser(t.db, manager, { email: "m2@example.org", name: "", role: "admin", departmentIds: [] })).rejects.toThrow(/admin role/);
    await expect(setUserActive(t.db, manager, admin.id, false)).rejects.toThrow(/admin role/);
    await expect(resetUserPassword(t.db, manager, admin.id)).rejects.toThrow(/admin role/);
    await expect(issueApiToken(t.db, manager, { userId: manager.id, label: "mine" })).rejects.toThrow(/admin role/);
    await expect(revokeApiToken(t.db, manager, "x")).rejects.toThrow(/admin role/);
    await expect(listApiTokens(t.db, manager)).rejects.toThrow(/admin role/);
    await expect(findAuditEvents(t.db, manager, {})).rejects.toThrow(/admin role/);
    await expect(exportAuditCsv(t.db, manager, {})).rejects.toThrow(/admin role/);
    expect(await t.db.auditEvent.count({ where: { action: "admin.denied" } })).toBe(before + 9);
    expect(await t.db.user.count({ where: { email: "m2@example.org" } })).toBe(0);
  });
});
