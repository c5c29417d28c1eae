import { describe, expect, it } from "vitest";
import { EMPTY_IDENTITY, matchesConditions, resolveRoutes, type TRouteInput, type TRoutingRuleEntry, type TRoutingTable } from "@/lib/forwarding/resolve-routes";

const NO_CONDITIONS = { facilityCode: "", departmentCode: "", catalogItemId: "", modality: "", sopClassUid: "" };
const rule = (id: string, over: Partial<Omit<TRoutingRuleEntry, "conditions">> & { conditions?: Partial<TRoutingRuleEntry["conditions"]> }): TRoutingRuleEntry => ({
  ruleId: id,
  ruleName: id,
  sortOrder: 0,
  versionId: `${id}-v1`,
  version: 1,
  identity: { ...EMPTY_IDENTITY, issuerOfPatientId: `ISSUER-${id}` },
  destinationIds: [],
  ...over,
  conditions: { ...NO_CONDITIONS, ...over.conditions },
});
const input = (over: Partial<TRouteInput> = {}): TRouteInput => ({
  facilityCode: "GENHOSP", departmentCode: "DERM", catalogItemId: "item1", catalogItemRuleId: null, modality: "XC",
  sopClassUid: "1.2.840.10008.5.1.4.1.1.77.1.4", ...over,
});

describe("resolveRoutes", () => {
  it("falls back to every enabled destination without a rule version when no rule is active", () => {
    const table: TRoutingTable = { rules: [], enabledDestinationIds: ["d1", "d2"] };
    expect(resolveRoutes(table, input())).toEqual({
      mode: "fallback",
      ruleIds: [],
      routes: [
        { destinationId: "d1", ruleVersionId: null, identity: EMPTY_IDENTITY },
        { destinationId: "d2", ruleVersionId: null, identity: EMPTY_IDENTITY },
      ],
    });
  });

  it("applies every matching rule in order; the first rule wins a shared destination", () => {
    const table: TRoutingTable = {
      enabledDestinationIds: ["d1", "d2", "d3"],
      rules: [
        rule("a", { conditions: { facilityCode: "GENHOSP" }, destinationIds: ["d1", "d2"] }),
        rule("b", { conditions: { modality: "xc" }, destinationIds: ["d2", "d3"] }),
        rule("c", { conditions: { facilityCode: "OTHER" }, destinationIds: ["d1"] }),
      ],
    };
    const r = resolveRoutes(table, input());
    expect(r.mode).toBe("rules");
    expect(r.ruleIds).toEqual(["a", "b"]);
    expect(r.routes.map((x) => [x.destinationId, x.ruleVersionId, x.identity.issuerOfPatientId])).toEqual([
      ["d1", "a-v1", "ISSUER-a"],
      ["d2", "a-v1", "ISSUER-a"],
      ["d3", "b-v1", "ISSUER-b"],
    ]);
  });

  it("uses only the catalog item's bucket when it is active, ignoring its conditions and other rules", () => {
    const table: TRoutingTable = {
      enabledDestinationIds: [],
      rules: [
        rule("a", { conditions: { facilityCode: "GENHOSP" }, destinationIds: ["d1"] }),
        rule("bucket", { conditions: { facilityCode: "ELSEWHERE" }, destinationIds: ["d9"] }),
      ],
    };
    const r = resolveRoutes(table, input({ catalogItemRuleId: "bucket" }));
    expect(r).toMatchObject({ mode: "bucket", ruleIds: ["bucket"] });
    expect(r.routes.map((x) => x.destinationId)).toEqual(["d9"]);
  });

  it("falls through to conditions when the catalog item's bucket is not active (absent from the table)", () => {
    const table: TRoutingTable = { enabledDestinationIds: [], rules: [rule("a", { destinationIds: ["d1"] })] };
    const r = resolveRoutes(table, input({ catalogItemRuleId: "inactive" }));
    expect(r.mode).toBe("rules");
    expect(r.routes.map((x) => x.destinationId)).toEqual(["d1"]);
  });

  it("returns no route (unrouted) when rules exist but none matches", () => {
    const table: TRoutingTable = {
      enabledDestinationIds: ["d1"],
      rules: [rule("a", { conditions: { departmentCode: "GI" }, destinationIds: ["d1"] })],
    };
    expect(resolveRoutes(table, input())).toEqual({ mode: "rules", routes: [], ruleIds: [] });
  });
});

describe("matchesConditions", () => {
  const all = { facilityCode: "GENHOSP", departmentCode: "DERM", catalogItemId: "item1", modality: "XC", sopClassUid: "1.2.840.10008.5.1.4.1.1.77.1.4" };
  it("needs every non-empty condition to hold", () => {
    expect(matchesConditions(all, input())).toBe(true);
    expect(matchesConditions(NO_CONDITIONS, input())).toBe(true);
    for (const key of Object.keys(all) as (keyof typeof all)[]) {
      expect(matchesConditions({ ...all, [key]: "X-OTHER" }, input())).toBe(false);
    }
  });
  it("compares modality case-insensitively and ignores surrounding spaces", () => {
    expect(matchesConditions({ ...NO_CONDITIONS, modality: " es " }, input({ modality: "ES" }))).toBe(true);
  });
});
