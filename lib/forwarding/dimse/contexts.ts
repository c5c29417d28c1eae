/**
 * Presentation contexts we propose (PS3.8 §9.3.2.2, PS3.7 Annex D.3.3): one context per SOP Class × transfer
 * syntax, each with a single transfer syntax, so the A-ASSOCIATE-AC tells us exactly which pairs the archive
 * takes. A file is only ever sent in its own transfer syntax (no conversion): its pair must have been accepted.
 */
import { IMPORTABLE_IMAGE_SOP_CLASSES } from "@/lib/dicom/reidentify-dicom";
import {
  EXPLICIT_VR_LITTLE_ENDIAN, HEVC_M10P51_TRANSFER_SYNTAX, HEVC_MP51_TRANSFER_SYNTAX, JPEG_BASELINE_TRANSFER_SYNTAX,
  MPEG4_HP41_TRANSFER_SYNTAX, MPEG4_HP42_2D_TRANSFER_SYNTAX, US_MULTIFRAME_IMAGE_STORAGE, VIDEO_ENDOSCOPIC_IMAGE_STORAGE,
  VIDEO_PHOTOGRAPHIC_IMAGE_STORAGE, VL_ENDOSCOPIC_IMAGE_STORAGE, VL_PHOTOGRAPHIC_IMAGE_STORAGE,
} from "@/lib/dicom/uids";
import { VERIFICATION_SOP_CLASS } from "./command-set";
import type { TPresentationContextRq } from "./pdu";

export const IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";
export const RLE_LOSSLESS = "1.2.840.10008.1.2.5";
const US_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.6.1";

/** One SOP Class in one transfer syntax. */
export type TStoragePair = { sopClassUid: string; transferSyntaxUid: string };

const TRANSFER_SYNTAX_NAMES: Record<string, string> = {
  [IMPLICIT_VR_LITTLE_ENDIAN]: "Implicit VR Little Endian",
  [EXPLICIT_VR_LITTLE_ENDIAN]: "Explicit VR Little Endian",
  [JPEG_BASELINE_TRANSFER_SYNTAX]: "JPEG Baseline",
  [MPEG4_HP41_TRANSFER_SYNTAX]: "MPEG-4 AVC/H.264 High Profile / Level 4.1",
  [MPEG4_HP42_2D_TRANSFER_SYNTAX]: "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
  [HEVC_MP51_TRANSFER_SYNTAX]: "HEVC/H.265 Main Profile / Level 5.1",
  [HEVC_M10P51_TRANSFER_SYNTAX]: "HEVC/H.265 Main 10 Profile / Level 5.1",
  [RLE_LOSSLESS]: "RLE Lossless",
};

/** "VL Photographic Image (1.2.840…)" for error messages. */
export const nameSopClass = (uid: string): string => {
  const name = uid === VERIFICATION_SOP_CLASS ? "Verification" : IMPORTABLE_IMAGE_SOP_CLASSES.get(uid);

  return name ? `${name} (${uid})` : uid;
};

/** "JPEG Baseline (1.2.840.10008.1.2.4.50)" for error messages. */
export const nameTransferSyntax = (uid: string): string => {
  const name = TRANSFER_SYNTAX_NAMES[uid];

  return name ? `${name} (${uid})` : uid;
};

const VIDEO_SYNTAXES = [MPEG4_HP41_TRANSFER_SYNTAX, MPEG4_HP42_2D_TRANSFER_SYNTAX, HEVC_MP51_TRANSFER_SYNTAX, HEVC_M10P51_TRANSFER_SYNTAX];
const IMAGE_SYNTAXES = [JPEG_BASELINE_TRANSFER_SYNTAX, EXPLICIT_VR_LITTLE_ENDIAN];
const IMPORTED_SYNTAXES = [JPEG_BASELINE_TRANSFER_SYNTAX, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, RLE_LOSSLESS];

const pairs = (sopClassUids: string[], syntaxes: string[]): TStoragePair[] =>
  sopClassUids.flatMap((sopClassUid) => syntaxes.map((transferSyntaxUid) => ({ sopClassUid, transferSyntaxUid })));

/**
 * What a long-lived association proposes when the caller does not say (24 storage pairs + Verification):
 * photos (VL Photographic / Endoscopic in JPEG Baseline or Explicit VR LE), videos (Video Photographic /
 * Endoscopic in H.264 .102/.104 or HEVC .107/.108) and imported ultrasound (US Image / US Multi-frame in JPEG
 * Baseline, Explicit and Implicit VR LE, RLE; US Multi-frame also in the video syntaxes).
 */
export const DEFAULT_STORAGE_PAIRS: readonly TStoragePair[] = [
  ...pairs([VL_PHOTOGRAPHIC_IMAGE_STORAGE, VL_ENDOSCOPIC_IMAGE_STORAGE], IMAGE_SYNTAXES),
  ...pairs([VIDEO_PHOTOGRAPHIC_IMAGE_STORAGE, VIDEO_ENDOSCOPIC_IMAGE_STORAGE], VIDEO_SYNTAXES),
  ...pairs([US_IMAGE_STORAGE, US_MULTIFRAME_IMAGE_STORAGE], IMPORTED_SYNTAXES),
  ...pairs([US_MULTIFRAME_IMAGE_STORAGE], VIDEO_SYNTAXES),
];

/** PS3.8 §9.3.2.2: context IDs are odd integers 1–255, so at most 128 contexts. */
const MAX_CONTEXTS = 128;

/**
 * The presentation contexts of an A-ASSOCIATE-RQ: Verification in Implicit VR LE (every SCP must accept it,
 * PS3.5 §10.1) first, then one context per distinct storage pair, IDs 1, 3, 5, …
 * @param storage - SOP Class × transfer syntax pairs to propose
 * @throws Error when more than 127 distinct pairs are asked for
 */
export const buildPresentationContexts = (storage: readonly TStoragePair[]): TPresentationContextRq[] => {
  const seen = new Set<string>();
  const all = [{ sopClassUid: VERIFICATION_SOP_CLASS, transferSyntaxUid: IMPLICIT_VR_LITTLE_ENDIAN }, ...storage].filter((p) => {
    const key = `${p.sopClassUid}|${p.transferSyntaxUid}`;
    const fresh = !seen.has(key);
    seen.add(key);

    return fresh;
  });
  if (all.length > MAX_CONTEXTS) {
    throw new Error(`${all.length} presentation contexts asked for; an association holds at most ${MAX_CONTEXTS}`);
  }

  return all.map((p, i) => ({ id: 2 * i + 1, abstractSyntax: p.sopClassUid, transferSyntaxes: [p.transferSyntaxUid] }));
};
