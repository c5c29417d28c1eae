import { describe, expect, it } from "vitest";
import { CONSENT_CHOICES, parseConsent } from "@/lib/capture/consent";
import { consentModule, SENSITIVE_IMAGE_CONSTRAINT } from "@/lib/dicom/dataset-modules";

describe("consent → DICOM", () => {
  it("writes one Consent for Clinical Trial Use item per permitted use", () => {
    expect(consentModule({ use: "clinical", sensitive: false })).toEqual({
      ClinicalTrialTimePointID: "",
      ConsentForClinicalTrialUseSequence: [{ ConsentForDistributionFlag: "NO" }],
    });
    expect(consentModule({ use: "teaching", sensitive: false }).ConsentForClinicalTrialUseSequence).toEqual([
      { ConsentForDistributionFlag: "YES", DistributionType: "RESTRICTED_REUSE" },
    ]);
    expect(consentModule({ use: "publication", sensitive: false }).ConsentForClinicalTrialUseSequence).toEqual([
      { ConsentForDistributionFlag: "YES", DistributionType: "RESTRICTED_REUSE" },
      { ConsentForDistributionFlag: "YES", DistributionType: "PUBLIC_RELEASE" },
    ]);
    // The paper form's scope is not known here: nothing may be reused until someone reads it.
    expect(consentModule({ use: "paper", sensitive: false }).ConsentForClinicalTrialUseSequence).toEqual([{ ConsentForDistributionFlag: "NO" }]);
  });

  it("writes nothing for a capture without recorded consent, and the constraint for a sensitive one", () => {
    expect(consentModule(undefined)).toEqual({});
    expect(consentModule({ use: "", sensitive: false })).toEqual({});
    expect(consentModule({ use: "", sensitive: true })).toEqual({ ConfidentialityConstraintOnPatientDataDescription: SENSITIVE_IMAGE_CONSTRAINT });
    expect(SENSITIVE_IMAGE_CONSTRAINT.length).toBeLessThanOrEqual(64);
  });

  it("accepts only the four choices", () => {
    expect(CONSENT_CHOICES.map(parseConsent)).toEqual([...CONSENT_CHOICES]);
    expect(parseConsent("yes")).toBeUndefined();
    expect(parseConsent("")).toBeUndefined();
  });
});
