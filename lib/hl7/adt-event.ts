/**
 * The validated ADT event handed to the worklist: the zod boundary between HL7 text and the database
 * (style.md: parse with zod at every trust boundary, including the result of parsing ADT).
 *
 * Input is the decoded strings picked by parse-adt.ts; output has real Dates. Each top-level key maps to the HL7
 * field it came from (ADT_FIELD_LOCATION), so a zod issue becomes an ERR with a location. Issues raised with
 * `params.hl7 = 101` are "required field missing"; every other issue is 102 (data type).
 *
 * Empty vs null (HL7 v2.5.1 ch. 2.5.3): an empty field means "not sent, keep what you have"; `""` means "delete".
 * Strings keep that distinction ("" vs HL7_NULL) and dates become undefined (not sent) / null (delete) / Date, so
 * an A08 that omits PID-7 does not erase the birth date. Composite fields that are applied as a unit (PID-5, PV1-3,
 * PV1-7) keep HL7_NULL in their components; the worklist maps it to "".
 */
import { z } from "zod";
import { parseHl7DateTime } from "./hl7-time";

/** ADT trigger events this receiver applies (effects: lib/hl7/README.md, "Events"). */
export const SUPPORTED_ADT_EVENTS = [
  "A01",
  "A02",
  "A03",
  "A04",
  "A05",
  "A06",
  "A07",
  "A08",
  "A11",
  "A12",
  "A13",
  "A28",
  "A31",
  "A34",
  "A35",
  "A40",
  "A47",
] as const;

export type TAdtTrigger = (typeof SUPPORTED_ADT_EVENTS)[number];

/** Person events (ADT_A05 structure): patient only; PV1 is ignored. */
export const PERSON_EVENTS: readonly TAdtTrigger[] = ["A28", "A31"];
/** Identity events (ADT_A30 / ADT_A39): MRG required; PV1 is ignored. */
export const IDENTITY_EVENTS: readonly TAdtTrigger[] = ["A34", "A35", "A40", "A47"];
/** Cancels: they change the visit's status or location only and never create rows. */
export const CANCEL_EVENTS: readonly TAdtTrigger[] = ["A11", "A12", "A13"];

/** Whether an event is about a visit (needs PV1 and a visit number). */
export const isVisitEvent = (event: TAdtTrigger): boolean =>
  !PERSON_EVENTS.includes(event) && !IDENTITY_EVENTS.includes(event);

/** The HL7 null value: the sender asks the receiver to delete the field's value. */
export const HL7_NULL = '""';

const required = { params: { hl7: 101 } };

const isDateTime = (v: string): boolean => v === "" || v === HL7_NULL || parseHl7DateTime(v) !== undefined;

/** "" → undefined (not sent), HL7_NULL → null (delete), else the instant. */
const hl7DateTime = (field: string) =>
  z
    .string()
    .refine(isDateTime, `${field} is not a valid HL7 date/time`)
    .transform((v) => (v === "" ? undefined : v === HL7_NULL ? null : (parseHl7DateTime(v) ?? null)));

const ZName = z.object({
  family: z.string(),
  given: z.string(),
  middle: z.string(),
  suffix: z.string(),
  prefix: z.string(),
});

const ZCx = z.object({ id: z.string(), authority: z.string() });

const ZLocation = z.object({ pointOfCare: z.string(), room: z.string(), bed: z.string(), facility: z.string() });

const ZIdentifier = z.object({
  /** CX.1 */
  id: z.string().min(1),
  /** CX.4 assigning authority, HD.1 (HD.2 when HD.1 is empty). */
  authority: z.string(),
  /** CX.5 identifier type code (table 0203: MR, PI, AN, VN ...). */
  type: z.string(),
});

export const ZAdtEvent = z
  .object({
    event: z.enum(SUPPORTED_ADT_EVENTS, "MSH-9.2 trigger event is not supported"),
    /** EVN-2 recorded date/time, else MSH-7. */
    recordedAt: z
      .string()
      .min(1, { message: "EVN-2 and MSH-7 are both empty", ...required })
      .refine((v) => parseHl7DateTime(v) !== undefined, "EVN-2/MSH-7 is not a valid HL7 date/time")
      .transform((v) => parseHl7DateTime(v) as Date),
    /** PV1-3.4 facility (HD.1), else MSH-4 (HD.1). */
    facilityCode: z.string().min(1, { message: "no facility in PV1-3.4 or MSH-4", ...required }),
    /** PID-3, every non-empty repetition. */
    identifiers: z.array(ZIdentifier).min(1, { message: "PID-3 patient identifier list is empty", ...required }),
    /** PID-5 (the legal-name repetition, XPN.7 = L, else the first); may be empty only in a cancel. */
    name: ZName,
    /** PID-7 as YYYYMMDD (DICOM DA); HL7_NULL; "" when absent or less precise than a day (DA needs a day). */
    birthDate: z
      .string()
      .refine(isDateTime, "PID-7 is not a valid date")
      .transform((v) => (v === HL7_NULL ? v : v.length >= 8 ? v.slice(0, 8) : "")),
    /** PID-8 administrative sex (table 0001: one letter), or HL7_NULL. */
    sex: z
      .string()
      .refine((v) => /^[A-Za-z]?$/.test(v) || v === HL7_NULL, "PID-8 administrative sex must be one letter (table 0001)")
      .transform((v) => v.toUpperCase()),
    /** PID-18 patient account number (CX.1, CX.4 HD.1): the visit number when PV1-19 is empty. */
    accountNumber: ZCx,
    /** PV1-2 patient class (table 0004: I, O, E ...). */
    patientClass: z.string(),
    /** PV1-3 assigned patient location: PL.1 point of care, .2 room, .3 bed, .4 facility HD.1. */
    location: ZLocation,
    /** PV1-6 prior patient location (PL, same components): where an A12 returns the patient. */
    priorLocation: ZLocation,
    /** PV1-7 attending doctor (XCN, first repetition): .1 id, .2 family, .3 given, .4 middle, .5 suffix, .6 prefix. */
    attendingDoctor: ZName.extend({ id: z.string() }),
    /** PV1-19 visit number (CX.1, CX.4 HD.1). */
    visitNumber: ZCx,
    /** PV1-44 admit date/time. */
    admittedAt: hl7DateTime("PV1-44"),
    /** PV1-45 discharge date/time (first repetition). */
    dischargedAt: hl7DateTime("PV1-45"),
    /** MRG (A34/A35/A40/A47; optional in A06/A07): the identifiers before the change. */
    prior: z.object({
      /** MRG-1 prior patient identifier list, every non-empty repetition. */
      identifiers: z.array(ZIdentifier),
      /** MRG-3 prior patient account number (CX.1, CX.4 HD.1). */
      accountNumber: ZCx,
      /** MRG-5 prior visit number (CX.1, CX.4 HD.1). */
      visitNumber: ZCx,
    }),
  })
  .refine((e) => CANCEL_EVENTS.includes(e.event) || e.name.family !== "" || e.name.given !== "", {
    message: "PID-5 patient name is empty",
    path: ["name"],
    ...required,
  })
  .refine((e) => !isVisitEvent(e.event) || e.visitNumber.id !== "" || e.accountNumber.id !== "", {
    message: "PV1-19 visit number and PID-18 account number are both empty",
    path: ["visitNumber"],
    ...required,
  })
  .refine((e) => !["A34", "A40", "A47"].includes(e.event) || e.prior.identifiers.length > 0, {
    message: "MRG-1 prior patient identifier list is empty",
    path: ["prior", "identifiers"],
    ...required,
  })
  .refine((e) => e.event !== "A35" || e.prior.accountNumber.id !== "", {
    message: "MRG-3 prior patient account number is empty",
    path: ["prior", "accountNumber"],
    ...required,
  });

/** Strings as extracted from the message (zod input). */
export type TAdtEventInput = z.input<typeof ZAdtEvent>;
/** A validated ADT event. */
export type TAdtEvent = z.output<typeof ZAdtEvent>;
/** A person's name components (XPN / XCN order: family, given, middle, suffix, prefix). */
export type TPersonName = z.output<typeof ZName>;

/** ERR-2 location of each key of TAdtEvent (recordedAt depends on whether EVN-2 was sent). */
export const ADT_FIELD_LOCATION: Record<keyof TAdtEventInput, string> = {
  event: "MSH^1^9^1^2",
  recordedAt: "EVN^1^2",
  facilityCode: "MSH^1^4",
  identifiers: "PID^1^3",
  name: "PID^1^5",
  birthDate: "PID^1^7",
  sex: "PID^1^8",
  accountNumber: "PID^1^18",
  patientClass: "PV1^1^2",
  location: "PV1^1^3",
  priorLocation: "PV1^1^6",
  attendingDoctor: "PV1^1^7",
  visitNumber: "PV1^1^19",
  admittedAt: "PV1^1^44",
  dischargedAt: "PV1^1^45",
  prior: "MRG^1^1",
};

/** ERR-2 locations of nested keys (path[0].path[1]) that differ from their parent's. */
export const ADT_NESTED_LOCATION: Record<string, string> = {
  "prior.accountNumber": "MRG^1^3",
  "prior.visitNumber": "MRG^1^5",
};
