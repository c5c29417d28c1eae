/**
 * UIDs: minting (PS3.5 §9 and Annex B) and the constants our objects use.
 *
 * A UID is at most 64 characters of digits and dots; each component is a decimal number without leading zeros
 * (a component may be the single digit "0") (PS3.5 §9.1).
 */
import { randomUUID } from "node:crypto";

/** VL Photographic Image Storage (PS3.4 Annex B; IOD PS3.3 A.32.4). Modality XC. */
export const VL_PHOTOGRAPHIC_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.77.1.4";
/** VL Endoscopic Image Storage (PS3.4 Annex B; IOD PS3.3 A.32.1). Modality ES. */
export const VL_ENDOSCOPIC_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.77.1.1";
/** JPEG Baseline (Process 1), PS3.5 §A.4.1: 8-bit lossy JPEG, encapsulated. */
export const JPEG_BASELINE_TRANSFER_SYNTAX = "1.2.840.10008.1.2.4.50";
/** Video Photographic Image Storage (PS3.4 Annex B; IOD PS3.3 A.32.7). Modality XC. */
export const VIDEO_PHOTOGRAPHIC_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.77.1.4.1";
/** Video Endoscopic Image Storage (PS3.4 Annex B; IOD PS3.3 A.32.5). Modality ES. */
export const VIDEO_ENDOSCOPIC_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.77.1.1.1";
/** Ultrasound Multi-frame Image Storage (PS3.4 Annex B; IOD PS3.3 A.7). Modality US. */
export const US_MULTIFRAME_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.3.1";
/** MPEG-4 AVC/H.264 High Profile / Level 4.1 (PS3.5 §8.2.7, A.4.5): one fragment holds the whole MP4/TS stream. */
export const MPEG4_HP41_TRANSFER_SYNTAX = "1.2.840.10008.1.2.4.102";
/** MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video (PS3.5 §8.2.8): 1080p50/60. */
export const MPEG4_HP42_2D_TRANSFER_SYNTAX = "1.2.840.10008.1.2.4.104";
/** HEVC/H.265 Main Profile / Level 5.1 (PS3.5 §8.2.10). */
export const HEVC_MP51_TRANSFER_SYNTAX = "1.2.840.10008.1.2.4.107";
/** HEVC/H.265 Main 10 Profile / Level 5.1 (PS3.5 §8.2.11). */
export const HEVC_M10P51_TRANSFER_SYNTAX = "1.2.840.10008.1.2.4.108";
/** Explicit VR Little Endian (PS3.5 §A.2); the File Meta Information is always written with it (PS3.10 §7.1). */
export const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
/**
 * Implementation Class UID (0002,0012) of this writer (PS3.7 §D.3.3.2): a fixed `2.25` UID minted once from a
 * random UUID for "Encounter Capture". Change it (and the version name) only when the encoder changes incompatibly.
 */
export const IMPLEMENTATION_CLASS_UID = "2.25.244166276434022110066676357708280207860";
/** Implementation Version Name (0002,0013), SH: at most 16 characters. */
export const IMPLEMENTATION_VERSION_NAME = "ENC_CAPTURE_1";

const MAX_UID_LENGTH = 64;
/** With an org root, keep at least this many random digits (~66 bits) so suffixes stay unique. */
const MIN_SUFFIX_DIGITS = 20;
const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** True when `uid` is syntactically a valid UID (PS3.5 §9.1). */
export const isValidUid = (uid: string): boolean => uid.length <= MAX_UID_LENGTH && UID_PATTERN.test(uid);

/**
 * Throws unless `uid` is a valid DICOM UID (PS3.5 §9.1).
 * @param name - which UID, for the message
 * @param uid - the value
 */
export const requireUid = (name: string, uid: string): void => {
  if (!isValidUid(uid)) {
    throw new Error(`${name} "${uid}" is not a valid DICOM UID`);
  }
};

const uuidAsBigInt = (): bigint => BigInt("0x" + randomUUID().replace(/-/g, ""));

/**
 * Mints a new UID.
 * - Without a root: `2.25.` + the decimal value of a random (v4) UUID (PS3.5 §B.2), at most 44 characters.
 * - With an org root (e.g. `1.2.826.0.1.3680043.10.999`): root + "." + the decimal value of a random UUID,
 *   reduced modulo 10^n so the whole UID fits in 64 characters.
 * @param orgRoot - optional organisation root; must be a valid UID leaving room for 20 digits
 * @returns the new UID
 * @throws Error when the root is not a valid UID or is too long to leave room for a unique suffix
 */
export const createUid = (orgRoot?: string): string => {
  if (orgRoot === undefined || orgRoot === "") {
    return "2.25." + uuidAsBigInt().toString();
  }
  const maxDigits = MAX_UID_LENGTH - orgRoot.length - 1;
  if (!isValidUid(orgRoot) || maxDigits < MIN_SUFFIX_DIGITS) {
    throw new Error(
      `DICOM org root UID "${orgRoot}" is invalid or longer than ${MAX_UID_LENGTH - 1 - MIN_SUFFIX_DIGITS} characters`,
    );
  }
  // BigInt#toString never has leading zeros, so the suffix is a valid component.
  const suffix = uuidAsBigInt() % 10n ** BigInt(maxDigits);
  return `${orgRoot}.${suffix.toString()}`;
};
