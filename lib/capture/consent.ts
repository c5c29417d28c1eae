/**
 * The patient's consent for a capture's images, one required choice per capture in the web app, stored in
 * Study.consent and written into every object (lib/dicom/dataset-modules.ts `consentModule`, README "Consent").
 * Pure: used by the browser, the API and the DICOM builders.
 */

/** clinical = for clinical care only; teaching = also for teaching; publication = also for publication; paper =
 * the patient signed a paper form (its scope is on paper, not in this system). */
export const CONSENT_CHOICES = ["clinical", "teaching", "publication", "paper"] as const;
export type TConsent = (typeof CONSENT_CHOICES)[number];

/** How the choices read on screen, in order. */
export const CONSENT_LABELS: Record<TConsent, { label: string; hint: string }> = {
  clinical: { label: "Clinical care only", hint: "Images are used for this patient's care" },
  teaching: { label: "Also teaching", hint: "Care, and teaching within the hospital" },
  publication: { label: "Also publication", hint: "Care, teaching, and publication (journals, talks)" },
  paper: { label: "Consent on paper", hint: "The patient signed the paper form; its scope is on the form" },
};

/**
 * @param value - a value from a request
 * @returns the consent, or undefined when the value is not one of CONSENT_CHOICES
 */
export const parseConsent = (value: unknown): TConsent | undefined =>
  (CONSENT_CHOICES as readonly unknown[]).includes(value) ? (value as TConsent) : undefined;
