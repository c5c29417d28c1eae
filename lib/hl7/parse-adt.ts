/**
 * ADT (SUPPORTED_ADT_EVENTS) → TAdtEvent. Picks the fields (positions per HL7 v2.5.1 ch. 3, same in v2.3 for
 * everything used here), then validates with ZAdtEvent; the first zod issue becomes the Hl7Error (101 or 102, with
 * its location).
 *
 * Segments: MSH, EVN (optional: MSH-7 stands in for EVN-2), PID (required, first occurrence), PV1 (required for
 * visit events; ignored by A28/A31/A34/A35/A40/A47), MRG (required for A34/A35/A40/A47, optional in A06/A07; first
 * occurrence: one merge per message). Others (NK1, AL1, DG1, PD1, Z-segments ...) are ignored.
 */
import {
  ADT_FIELD_LOCATION,
  ADT_NESTED_LOCATION,
  HL7_NULL,
  IDENTITY_EVENTS,
  isVisitEvent,
  SUPPORTED_ADT_EVENTS,
  ZAdtEvent,
  type TAdtEvent,
  type TAdtEventInput,
} from "./adt-event";
import { Hl7Error } from "./hl7-error";
import type { Hl7Segments } from "./hl7-segments";
import type { THl7Header } from "./parse-message";

/** HD.1 namespace id of an HD component, else HD.2 universal id (an OID-only authority). */
const hdName = (segs: Hl7Segments, rep: string | undefined, component: number): string =>
  segs.component(rep, component, 1) || segs.component(rep, component, 2);

/** XPN (PID-5) or XCN (PV1-7, components shifted by one after the id) → name components. */
const personName = (segs: Hl7Segments, rep: string | undefined, first: number) => ({
  family: segs.component(rep, first, 1),
  given: segs.component(rep, first + 1),
  middle: segs.component(rep, first + 2),
  suffix: segs.component(rep, first + 3),
  prefix: segs.component(rep, first + 4),
});

/** Identifiers and keys: the HL7 null "" means nothing here. */
const key = (v: string): string => (v === HL7_NULL ? "" : v);

/** Pick the strings ZAdtEvent validates. */
const extract = (segs: Hl7Segments, header: THl7Header, event: TAdtEvent["event"]): TAdtEventInput => {
  const evn = segs.get("EVN");
  const pid = segs.get("PID");
  // PV1 of a person or identity event describes no visit of ours (often "PV1|1|N"): not read.
  const pv1 = isVisitEvent(event) ? segs.get("PV1") : undefined;
  const mrg = segs.get("MRG");
  const value = segs.value.bind(segs);
  const cx = (rep: string | undefined) => ({ id: key(segs.component(rep, 1)), authority: key(hdName(segs, rep, 4)) });
  const identifierList = (segment: typeof pid, position: number) =>
    segs
      .repetitions(segment, position)
      .map((rep) => ({ ...cx(rep), type: key(segs.component(rep, 5)) }))
      .filter((id) => id.id !== "");
  const location = (position: number) => ({
    pointOfCare: value(pv1, position, 1),
    room: value(pv1, position, 2),
    bed: value(pv1, position, 3),
    facility: value(pv1, position, 4),
  });
  const names = segs.repetitions(pid, 5);
  // XPN.7 name type code: L = legal name.
  const legalName = names.find((rep) => segs.component(rep, 7) === "L") ?? names[0];
  const doctor = segs.repetitions(pv1, 7)[0];

  return {
    event,
    recordedAt: value(evn, 2) || header.dateTime,
    // PV1-3.4 even when the rest of PV1 is not read (an A40 with a PV1 names the facility there too).
    facilityCode: key(value(segs.get("PV1"), 3, 4)) || key(header.sendingFacility),
    identifiers: identifierList(pid, 3),
    name: personName(segs, legalName, 1),
    birthDate: value(pid, 7),
    sex: value(pid, 8),
    accountNumber: cx(segs.repetitions(pid, 18)[0]),
    patientClass: value(pv1, 2),
    location: location(3),
    priorLocation: location(6),
    attendingDoctor: { id: segs.component(doctor, 1), ...personName(segs, doctor, 2) },
    visitNumber: cx(segs.repetitions(pv1, 19)[0]),
    admittedAt: value(pv1, 44),
    dischargedAt: value(pv1, 45),
    prior: {
      identifiers: identifierList(mrg, 1),
      accountNumber: cx(segs.repetitions(mrg, 3)[0]),
      visitNumber: cx(segs.repetitions(mrg, 5)[0]),
    },
  };
};

const isSupportedEvent = (event: string): event is TAdtEvent["event"] =>
  (SUPPORTED_ADT_EVENTS as readonly string[]).includes(event);

/**
 * Parse an ADT message whose header has been checked.
 * @param segs - the split message
 * @param header - its MSH
 * @throws Hl7Error - 201 unsupported event (AR), 100 missing PID/PV1, 101/102 from validation (AE)
 */
export const parseAdt = (segs: Hl7Segments, header: THl7Header): TAdtEvent => {
  // MSH-9.2; v2.3 senders sometimes leave it empty and put the event only in EVN-1.
  const event = header.triggerEvent || segs.value(segs.get("EVN"), 1);
  if (!isSupportedEvent(event)) {
    throw new Hl7Error(201, "MSH^1^9^1^2", "MSH-9.2 trigger event is not supported", "AR");
  }
  const segments = ["PID", ...(isVisitEvent(event) ? ["PV1"] : []), ...(IDENTITY_EVENTS.includes(event) ? ["MRG"] : [])];
  for (const id of segments) {
    if (!segs.get(id)) {
      throw new Hl7Error(100, `${id}^1`, `required segment ${id} is missing`);
    }
  }
  const input = extract(segs, header, event);
  const parsed = ZAdtEvent.safeParse(input);
  if (parsed.success) {
    return parsed.data;
  }
  const issue = parsed.error.issues[0]!;
  const key = issue.path[0] as keyof TAdtEventInput;
  const nested = ADT_NESTED_LOCATION[issue.path.slice(0, 2).join(".")];
  const location =
    key === "recordedAt" && !segs.value(segs.get("EVN"), 2) ? "MSH^1^7" : (nested ?? ADT_FIELD_LOCATION[key]);
  const required = (issue as { params?: { hl7?: number } }).params?.hl7 === 101 || issue.code === "too_small";

  throw new Hl7Error(required ? 101 : 102, location ?? "", issue.message);
};
