/**
 * The regions of the body map (components/capture/body-map.tsx): a simple front and back figure, each region a
 * SNOMED CT body site of lib/catalog/body-sites.ts plus the side it lies on.
 *
 * Sides are the PATIENT's: on the front view the patient's right is on the viewer's left, on the back view it is on
 * the viewer's right. A left/right region sets Image Laterality (0020,0062) L/R; a midline region sets U
 * ("unpaired", the DICOM value for a part without a side). Pure data and functions: safe in the browser and tests.
 */
import { findBodySite } from "../catalog/body-sites";

export type TBodyMapView = "front" | "back";
export type TBodyMapShape =
  | { kind: "rect"; x: number; y: number; w: number; h: number; r: number }
  | { kind: "ellipse"; cx: number; cy: number; rx: number; ry: number };
export type TBodyMapRegion = {
  /** Stable id, e.g. "front-forearm-R" (used as test id and React key). */
  id: string;
  view: TBodyMapView;
  /** SNOMED CT code of lib/catalog/body-sites.ts. */
  code: string;
  /** The patient's side; null for a midline region. */
  side: "R" | "L" | null;
  /** Accessible name, e.g. "Right forearm". */
  label: string;
  shape: TBodyMapShape;
};

/** Width of one figure's coordinate space (viewBox 0 0 FIGURE_WIDTH FIGURE_HEIGHT). */
export const FIGURE_WIDTH = 200;
export const FIGURE_HEIGHT = 445;

const rect = (x: number, y: number, w: number, h: number, r = 8): TBodyMapShape => ({ kind: "rect", x, y, w, h, r });
const ellipse = (cx: number, cy: number, rx: number, ry: number): TBodyMapShape => ({ kind: "ellipse", cx, cy, rx, ry });
const mirror = (s: TBodyMapShape): TBodyMapShape =>
  s.kind === "rect" ? { ...s, x: FIGURE_WIDTH - s.x - s.w } : { ...s, cx: FIGURE_WIDTH - s.cx };

/** A midline region. */
const mid = (view: TBodyMapView, key: string, code: string, label: string, shape: TBodyMapShape): TBodyMapRegion => ({
  id: `${view}-${key}`,
  view,
  code,
  side: null,
  label: view === "back" ? `${label} (back)` : label,
  shape,
});

/** A paired region: `shape` is drawn on the viewer's left; the other side is its mirror image. */
const pair = (view: TBodyMapView, key: string, code: string, name: string, shape: TBodyMapShape): TBodyMapRegion[] => {
  // Front: the viewer's left is the patient's right. Back: the viewer's left is the patient's left.
  const viewerLeft: "R" | "L" = view === "front" ? "R" : "L";
  const viewerRight: "R" | "L" = viewerLeft === "R" ? "L" : "R";
  const make = (side: "R" | "L", s: TBodyMapShape): TBodyMapRegion => ({
    id: `${view}-${key}-${side}`,
    view,
    code,
    side,
    label: `${side === "R" ? "Right" : "Left"} ${name.toLowerCase()}${view === "back" ? " (back)" : ""}`,
    shape: s,
  });

  return [make(viewerLeft, shape), make(viewerRight, mirror(shape))];
};

/** Limbs are the same on both views (drawn at the same place); only their sides swap. */
const limbs = (view: TBodyMapView): TBodyMapRegion[] => [
  ...pair(view, "shoulder", "16982005", "Shoulder", rect(50, 88, 26, 26, 12)),
  ...pair(view, "upper-arm", "40983000", "Upper arm", rect(46, 116, 22, 66)),
  ...pair(view, "elbow", "127949000", "Elbow", ellipse(56, 192, 11, 9)),
  ...pair(view, "forearm", "14975008", "Forearm", rect(44, 202, 22, 58)),
  ...pair(view, "wrist", "8205005", "Wrist", rect(43, 262, 22, 9, 4)),
  ...pair(view, "hand", "85562004", "Hand", ellipse(53, 290, 12, 17)),
  ...pair(view, "thigh", "68367000", "Thigh", rect(74, 262, 25, 70)),
  ...pair(view, "knee", "72696002", "Knee", ellipse(86, 344, 13, 11)),
  ...pair(view, "lower-leg", "30021000", "Lower leg", rect(75, 356, 22, 56)),
  ...pair(view, "ankle", "70258002", "Ankle joint", rect(76, 414, 20, 9, 4)),
  ...pair(view, "foot", "56459004", "Foot", ellipse(84, 433, 15, 8)),
];

export const BODY_MAP_REGIONS: readonly TBodyMapRegion[] = [
  mid("front", "face", "89545001", "Face", ellipse(100, 40, 25, 31)),
  mid("front", "neck", "45048000", "Neck", rect(88, 72, 24, 16, 4)),
  mid("front", "chest", "816094009", "Chest", rect(78, 88, 44, 70, 10)),
  mid("front", "abdomen", "818981001", "Abdomen", rect(78, 160, 44, 58, 10)),
  mid("front", "pelvis", "816092008", "Pelvis", rect(80, 220, 40, 38, 10)),
  ...pair("front", "hip", "29836001", "Hip", rect(70, 220, 9, 38, 4)),
  ...limbs("front"),
  mid("back", "head", "69536005", "Head", ellipse(100, 40, 25, 31)),
  mid("back", "neck", "45048000", "Neck", rect(88, 72, 24, 16, 4)),
  mid("back", "back", "77568009", "Back", rect(78, 88, 44, 130, 10)),
  ...pair("back", "buttock", "46862004", "Buttock", rect(72, 220, 27, 38, 10)),
  ...limbs("back"),
];

/**
 * What tapping a region chooses.
 * @param region - a body map region
 * @returns the SNOMED CT code and Image Laterality: R/L for a paired region, U (unpaired) for a midline one
 * @throws Error when the region names a code missing from lib/catalog/body-sites.ts (a programming error)
 */
export const selectRegion = (region: TBodyMapRegion): { code: string; meaning: string; laterality: "R" | "L" | "U" } => {
  const site = findBodySite(region.code);
  if (!site) {
    throw new Error(`body map region ${region.id}: ${region.code} is not in lib/catalog/body-sites.ts`);
  }

  return { code: site.code, meaning: site.meaning, laterality: region.side ?? "U" };
};

/**
 * The region that shows a chosen site and side on a view, to highlight it (none when the figure does not show it).
 * @param view - front or back
 * @param code - the chosen body site
 * @param laterality - the chosen Image Laterality
 */
export const regionsFor = (view: TBodyMapView, code: string, laterality: string): TBodyMapRegion[] =>
  BODY_MAP_REGIONS.filter(
    (r) => r.view === view && r.code === code && (r.side === null || r.side === laterality || laterality === "B"),
  );
