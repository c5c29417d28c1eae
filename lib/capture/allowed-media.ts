/** The catalog item's allowed media (CatalogItem.allowedMedia), checked the same way by the browser and the server. */

/** What a file is: a device's DICOM export, a video container, or anything else (a photo). */
export type TFileKind = "dicom" | "video" | "other";

/**
 * Whether the catalog item takes this kind of file (CatalogItem.allowedMedia: photo, video, ultrasound). A device's
 * DICOM export is "ultrasound", which an item of modality US always takes; on a US item a JPEG/MP4 export from the
 * device counts as its photo/video.
 * @param kind - what the file is (by its bytes on the server, by type/name in the browser)
 * @param item - allowedMedia (comma-separated as stored, or the list; empty = anything) and modality of the item
 */
export const isMediumAllowed = (kind: TFileKind, item: { allowedMedia: string | string[]; modality: string }): boolean => {
  const list = typeof item.allowedMedia === "string" ? item.allowedMedia.split(",") : item.allowedMedia;
  const allowed = list.map((m) => m.trim()).filter(Boolean);
  const medium = kind === "dicom" ? "ultrasound" : kind === "video" ? "video" : "photo";

  return allowed.length === 0 || allowed.includes(medium) || (medium === "ultrasound" && item.modality === "US");
};
