/**
 * Body sites a clinician can pick for an image: SNOMED CT concepts from the DICOM context groups PS3.16 CID 4029
 * "Dermatology Anatomic Site", CID 4031 "Common Anatomic Regions" and CID 4040 "Endoscopy Anatomic Region", with
 * their DICOM display names (not SNOMED FSNs), written as the single item of Anatomic Region Sequence (0008,2218).
 * `paired`: the site has a side, so Image Laterality (R/L/B) should be chosen with it. Source and caveats:
 * ../shared/docs/dicom-and-ihe.md §5.6.
 */
import type { TCodedConcept } from "../dicom/photo-context";

export type TBodySite = TCodedConcept & { paired: boolean; group: "skin" | "region" | "endoscopy" };

const site = (code: string, meaning: string, group: TBodySite["group"], paired = false): TBodySite => ({
  code,
  scheme: "SCT",
  meaning,
  paired,
  group,
});

export const BODY_SITES: readonly TBodySite[] = [
  site("73897004", "Skin of face", "skin"),
  site("43067004", "Skin of scalp", "skin"),
  site("66643007", "Skin of back", "skin"),
  site("45048000", "Neck", "region"),
  site("816094009", "Chest", "region"),
  site("818981001", "Abdomen", "region"),
  site("76752008", "Breast", "region", true),
  site("40983000", "Upper arm", "region", true),
  site("14975008", "Forearm", "region", true),
  site("85562004", "Hand", "region", true),
  site("68367000", "Thigh", "region", true),
  site("72696002", "Knee", "region", true),
  site("30021000", "Lower leg", "region", true),
  site("56459004", "Foot", "region", true),
  site("32849002", "Esophagus", "region"),
  site("69695003", "Stomach", "region"),
  site("38848004", "Duodenum", "region"),
  site("71854001", "Colon", "region"),
  site("110861005", "Esophagus, stomach and duodenum", "endoscopy"),
  site("14742008", "Large intestine", "endoscopy"),
  site("60184004", "Sigmoid colon", "endoscopy"),
  site("110612005", "Anus, rectum and sigmoid colon", "endoscopy"),
  site("34402009", "Rectum", "endoscopy"),
  // Regions the body map (lib/capture/body-map-regions.ts) offers that the list above lacked (PS3.16 CID 4031).
  site("69536005", "Head", "region"),
  site("89545001", "Face", "region"),
  site("16982005", "Shoulder", "region", true),
  site("127949000", "Elbow", "region", true),
  site("8205005", "Wrist", "region", true),
  site("77568009", "Back", "region"),
  site("816092008", "Pelvis", "region"),
  site("46862004", "Buttock", "region", true),
  site("29836001", "Hip", "region", true),
  site("70258002", "Ankle joint", "region", true),
];

/**
 * @param code - a SNOMED CT code value from BODY_SITES
 * @returns the coded body site, or undefined for a code not offered
 */
export const findBodySite = (code: string): TBodySite | undefined => BODY_SITES.find((s) => s.code === code);
