import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TTestDatabase } from "../support/test-db";

describe("test database", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());
  it("is migrated and enforces unique MRN per issuer", async () => {
    await t.db.patient.create({ data: { mrn: "1", issuer: "A" } });
    await expect(t.db.patient.create({ data: { mrn: "1", issuer: "A" } })).rejects.toThrow();
    await t.db.patient.create({ data: { mrn: "1", issuer: "B" } });
    expect(await t.db.patient.count()).toBe(2);
  });
});
