import { describe, expect, it } from "vitest";
import { isMediumAllowed } from "@/lib/capture/allowed-media";
import { deliveryStateOf, isFinalState, itemNamedIn } from "@/lib/capture/item-state";

describe("item state", () => {
  const instances = [
    { instanceNumber: 1, status: "stored" as const, lastError: "" },
    { instanceNumber: 2, status: "failed" as const, lastError: "HTTP 409 from vna" },
    { instanceNumber: 3, status: "queued" as const, lastError: "no enabled destination: waiting for one" },
  ];

  it("follows each item by its position in the capture", () => {
    expect(deliveryStateOf(instances, 1)).toEqual({ state: "stored", error: "" });
    expect(deliveryStateOf(instances, 2)).toEqual({ state: "failed", error: "HTTP 409 from vna" });
    expect(deliveryStateOf(instances, 3).state).toBe("queued");
    expect(deliveryStateOf(instances, 4).state).toBe("wrapping");
    expect(["stored", "failed"].every((s) => isFinalState(s as "stored"))).toBe(true);
    expect(isFinalState("queued")).toBe(false);
  });

  it("finds the item a refusal names, the longest name first", () => {
    const names = ["photo-1.jpg", "photo-10.jpg", "video-1.webm"];
    expect(itemNamedIn("photo-10.jpg: not a photo", names)).toBe(1);
    expect(itemNamedIn("video-1.webm: choose a body site", names)).toBe(2);
    expect(itemNamedIn("procedureId is not an active catalog item", names)).toBe(-1);
  });

  it("checks the catalog item's allowed media", () => {
    expect(isMediumAllowed("video", { allowedMedia: "photo", modality: "XC" })).toBe(false);
    expect(isMediumAllowed("other", { allowedMedia: "photo,video", modality: "XC" })).toBe(true);
    expect(isMediumAllowed("dicom", { allowedMedia: "photo,video", modality: "XC" })).toBe(false);
    expect(isMediumAllowed("dicom", { allowedMedia: "photo,video", modality: "US" })).toBe(true);
    expect(isMediumAllowed("video", { allowedMedia: "", modality: "XC" })).toBe(true);
  });
});
