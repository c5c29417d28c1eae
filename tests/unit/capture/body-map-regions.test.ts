import { describe, expect, it } from "vitest";
import { findBodySite } from "@/lib/catalog/body-sites";
import { BODY_MAP_REGIONS, FIGURE_WIDTH, regionsFor, selectRegion } from "@/lib/capture/body-map-regions";

const region = (id: string) => BODY_MAP_REGIONS.find((r) => r.id === id)!;
const centreX = (id: string): number => {
  const s = region(id).shape;
  return s.kind === "rect" ? s.x + s.w / 2 : s.cx;
};

describe("body map regions", () => {
  it("names only codes of the body-site list, with unique ids", () => {
    expect(new Set(BODY_MAP_REGIONS.map((r) => r.id)).size).toBe(BODY_MAP_REGIONS.length);
    for (const r of BODY_MAP_REGIONS) {
      expect(findBodySite(r.code), r.id).toBeDefined();
    }
  });

  it("maps a tap to the SNOMED CT code and the patient's side; midline regions are unpaired (U)", () => {
    expect(selectRegion(region("front-forearm-L"))).toEqual({ code: "14975008", meaning: "Forearm", laterality: "L" });
    expect(selectRegion(region("back-buttock-R"))).toEqual({ code: "46862004", meaning: "Buttock", laterality: "R" });
    expect(selectRegion(region("front-abdomen"))).toEqual({ code: "818981001", meaning: "Abdomen", laterality: "U" });
    expect(selectRegion(region("back-back")).laterality).toBe("U");
  });

  it("draws the patient's right on the viewer's left in front and on the viewer's right from the back", () => {
    expect(centreX("front-hand-R")).toBeLessThan(FIGURE_WIDTH / 2);
    expect(centreX("front-hand-L")).toBeGreaterThan(FIGURE_WIDTH / 2);
    expect(centreX("back-hand-R")).toBeGreaterThan(FIGURE_WIDTH / 2);
    expect(centreX("back-hand-L")).toBeLessThan(FIGURE_WIDTH / 2);
  });

  it("gives every paired site a left and a right region, and marks paired sites as such in the list", () => {
    for (const r of BODY_MAP_REGIONS.filter((x) => x.side)) {
      const twin = BODY_MAP_REGIONS.find((x) => x.view === r.view && x.code === r.code && x.side !== r.side && x.side !== null);
      expect(twin, r.id).toBeDefined();
      expect(findBodySite(r.code)!.paired, r.id).toBe(true);
    }
  });

  it("highlights the regions of a chosen site and side (both sides for B)", () => {
    expect(regionsFor("front", "85562004", "L").map((r) => r.id)).toEqual(["front-hand-L"]);
    expect(regionsFor("back", "85562004", "B").map((r) => r.id).sort()).toEqual(["back-hand-L", "back-hand-R"]);
    expect(regionsFor("front", "818981001", "U").map((r) => r.id)).toEqual(["front-abdomen"]);
    expect(regionsFor("front", "69695003", "U")).toEqual([]);
  });
});
