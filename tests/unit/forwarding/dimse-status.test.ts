import { describe, expect, it } from "vitest";
import {
  classifyDimseFailure, classifyDimseStatus, describeDimseStatus, describeRejection, DimseError,
} from "@/lib/forwarding/dimse/dimse-status";

describe("classifyDimseStatus (PS3.4 Table B.2-1, PS3.7 Annex C)", () => {
  it.each([
    [0x0000, "success"],
    [0x0001, "warning"], [0x0107, "warning"], [0x0116, "warning"], [0xb000, "warning"], [0xb006, "warning"], [0xb007, "warning"],
    [0xa700, "transient"], [0xa7ff, "transient"], [0x0110, "transient"], [0x0213, "transient"], [0x0210, "transient"],
    [0xa900, "permanent"], [0xa9ff, "permanent"], [0xc000, "permanent"], [0xcfff, "permanent"],
    [0x0122, "permanent"], [0x0112, "permanent"], [0x0124, "permanent"], [0x0211, "permanent"], [0x0212, "permanent"],
    [0xdead, "permanent"],
  ] as const)("0x%s → %s", (status, kind) => {
    expect(classifyDimseStatus(status).kind).toBe(kind);
  });

  it("describes a status in hex with its meaning", () => {
    expect(describeDimseStatus(0xa700)).toBe("0xA700 out of resources");
    expect(describeDimseStatus(0x0122)).toBe("0x0122 SOP Class not supported");
    expect(describeDimseStatus(0xc123)).toBe("0xC123 cannot understand");
  });
});

describe("classifyDimseFailure", () => {
  it("keeps the kind of a DimseError and treats anything else as transient", () => {
    expect(classifyDimseFailure(new DimseError("no-presentation-context", "permanent", "x"))).toBe("permanent");
    expect(classifyDimseFailure(new DimseError("aborted", "transient", "x"))).toBe("transient");
    expect(classifyDimseFailure(new Error("EIO"))).toBe("transient");
  });

  it("names A-ASSOCIATE-RJ result, source and reason (PS3.8 Table 9-21)", () => {
    expect(describeRejection(1, 1, 7)).toBe("association rejected-permanent by the service user: called AE title not recognized");
    expect(describeRejection(2, 3, 1)).toBe("association rejected-transient by the service provider (presentation): temporary congestion");
  });
});
