/**
 * Each ADT event's effect on the worklist, through handleInbound against a real database (TEST_DB): merges with
 * captured and delivered images, cancels next to captured studies, out-of-order updates, visit renumbering, and the
 * department remap after a mapping edit. Each test uses its own MRNs and visit numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/roles";
import { handleInbound } from "@/lib/hl7/handle-inbound";
import { findEncounters } from "@/lib/worklist/find-encounters";
import { findIdentityChanges } from "@/lib/worklist/find-identity-changes";
import { remapEncounterDepartments } from "@/lib/worklist/remap-encounter-departments";
import { resolveIdentityChange } from "@/lib/worklist/resolve-identity-change";
import { fieldOf } from "../../support/mllp-client";
import { createTestDatabase, type TTestDatabase } from "../../support/test-db";

/** A segment from positioned fields. */
const seg = (id: string, fields: Record<number, string>): string => {
  const last = Math.max(...Object.keys(fields).map(Number));

  return [id, ...Array.from({ length: last }, (_, i) => fields[i + 1] ?? "")].join("|");
};

type TAdt = {
  id: string;
  event: string;
  at: string;
  mrn?: string;
  name?: string;
  pid?: Record<number, string>;
  pv1?: Record<number, string> | null;
  mrg?: Record<number, string>;
};

const STRUCTURE: Record<string, string> = { A40: "ADT_A39", A34: "ADT_A30", A35: "ADT_A30", A47: "ADT_A30" };

const adt = (o: TAdt): Buffer => {
  const segments = [
    `MSH|^~\\&|HIS|CITY|EC|EC|${o.at}||ADT^${o.event}^${STRUCTURE[o.event] ?? "ADT_A01"}|${o.id}|P|2.5.1`,
    `EVN|${o.event}|${o.at}`,
    seg("PID", { 1: "1", 3: `${o.mrn ?? "700"}^^^CITY^MR`, 5: o.name ?? "Doe^Jane", 7: "19700101", 8: "F", ...o.pid }),
    ...(o.pv1 === null ? [] : [seg("PV1", { 1: "1", 2: "O", 3: "DERM^1^1^CITY", 19: "E700^^^CITY", ...o.pv1 })]),
    ...(o.mrg ? [seg("MRG", o.mrg)] : []),
  ];

  return Buffer.from(segments.join("\r"));
};
const msa = (ack: Buffer): string[] => [1, 2, 3].map((i) => fieldOf(ack.toString(), "MSA", i));

describe("ADT events and the worklist", () => {
  let t: TTestDatabase;
  let dept: { derm: string; gi: string };
  let catalogItemId: string;
  let operatorId: string;
  let destinationId: string;
  let uid = 0;

  beforeAll(async () => {
    t = await createTestDatabase();
    const derm = await t.db.department.create({ data: { code: "DERM", name: "Dermatology" } });
    const gi = await t.db.department.create({ data: { code: "GI", name: "GI" } });
    await t.db.locationMapping.create({ data: { facilityCode: "CITY", pointOfCare: "DERM", departmentId: derm.id } });
    await t.db.locationMapping.create({ data: { facilityCode: "", pointOfCare: "GI", departmentId: gi.id } });
    dept = { derm: derm.id, gi: gi.id };
    const item = await t.db.catalogItem.create({
      data: { departmentId: derm.id, code: "D1", scheme: "99EC", meaning: "Skin photo" },
    });
    catalogItemId = item.id;
    operatorId = (await t.db.user.create({ data: { email: "c@example.org", name: "C", role: "clinician", passwordHash: "x" } })).id;
    destinationId = (await t.db.destination.create({ data: { name: "vna", url: "http://127.0.0.1:1/dicom-web" } })).id;
  });
  afterAll(async () => t?.drop());

  const send = (o: TAdt) => handleInbound(t.db, adt(o));
  const patient = (mrn: string) => t.db.patient.findUnique({ where: { mrn_issuer: { mrn, issuer: "CITY" } } });
  const encounter = (visitNumber: string) =>
    t.db.encounter.findUniqueOrThrow({ where: { visitNumber_visitIssuer: { visitNumber, visitIssuer: "CITY" } } });

  /** A captured study on the encounter with one instance per delivery status ("stored" = already in the VNA). */
  const captureStudy = async (visitNumber: string, statuses: string[]) => {
    const e = await encounter(visitNumber);
    const n = ++uid;
    const study = await t.db.study.create({
      data: {
        studyInstanceUid: `2.25.${n}`,
        encounterId: e.id,
        patientId: e.patientId,
        catalogItemId,
        operatorId,
        studyDescription: "Skin photo",
        series: { create: { seriesInstanceUid: `2.25.${n}.1`, modality: "XC", seriesNumber: 1 } },
      },
      include: { series: true },
    });
    const uids: string[] = [];
    for (const [i, status] of statuses.entries()) {
      const sopInstanceUid = `2.25.${n}.1.${i + 1}`;
      uids.push(sopInstanceUid);
      await t.db.instance.create({
        data: {
          sopInstanceUid,
          sopClassUid: "1.2.840.10008.5.1.4.1.1.77.1.4",
          seriesId: study.series[0]!.id,
          instanceNumber: i + 1,
          transferSyntaxUid: "1.2.840.10008.1.2.4.50",
          filePath: `media/${sopInstanceUid}.dcm`,
          size: 1,
          sha256: "0",
          deliveries: { create: { destinationId, status, storedAt: status === "stored" ? new Date() : null } },
        },
      });
    }

    return { id: study.id, uids };
  };

  it("A40 moves encounters and studies to the survivor, lists images already delivered, keeps an alias", async () => {
    expect(msa(await send({ id: "M1", event: "A04", at: "20240101100000", mrn: "700", pv1: { 19: "E700^^^CITY" } }))[0]).toBe("AA");
    expect(msa(await send({ id: "M2", event: "A04", at: "20240101100000", mrn: "701", pv1: { 19: "E701^^^CITY" } }))[0]).toBe("AA");
    const survivor = (await patient("700"))!;
    const prior = (await patient("701"))!;
    const delivered = await captureStudy("E701", ["stored", "queued", "stored"]);
    const queuedOnly = await captureStudy("E701", ["queued"]);

    const ack = await send({ id: "M3", event: "A40", at: "20240102100000", mrn: "700", pv1: null, mrg: { 1: "701^^^CITY^MR" } });
    expect(msa(ack)).toEqual(["AA", "M3", ""]);
    expect(await patient("701")).toBeNull();
    expect((await encounter("E701")).patientId).toBe(survivor.id);
    const studies = await t.db.study.findMany({ where: { id: { in: [delivered.id, queuedOnly.id] } } });
    expect(studies.map((s) => s.patientId)).toEqual([survivor.id, survivor.id]);
    const message = await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "M3" } });
    expect(message.patientId).toBe(survivor.id);
    expect(await t.db.patientAlias.findUniqueOrThrow({ where: { mrn_issuer: { mrn: "701", issuer: "CITY" } } })).toMatchObject({
      patientId: survivor.id,
      priorPatientId: prior.id,
      kind: "merge",
      hl7MessageId: message.id,
    });

    const changes = await findIdentityChanges(t.db, { unresolvedOnly: true });
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      kind: "merge",
      from: { mrn: "701", issuer: "CITY", visitNumber: "" },
      to: { patientId: survivor.id, mrn: "700", issuer: "CITY", name: "DOE, Jane" },
      study: { id: delivered.id, studyInstanceUid: "2.25.1", visitNumber: "E701" },
      sopInstanceUids: [delivered.uids[0], delivered.uids[2]],
      hl7MessageId: message.id,
      resolvedAt: null,
    });
  });

  it("the same merge again is AA and changes nothing; a circular one is AE 205", async () => {
    const changes = await t.db.identityChange.count();
    const ack = await send({ id: "M4", event: "A40", at: "20240102110000", mrn: "700", pv1: null, mrg: { 1: "701^^^CITY^MR" } });
    expect(msa(ack)).toEqual(["AA", "M4", "already merged; nothing changed"]);
    expect(await t.db.identityChange.count()).toBe(changes);
    expect(await t.db.patientAlias.count()).toBe(1);

    const circular = await send({ id: "M5", event: "A34", at: "20240102120000", mrn: "700", pv1: null, mrg: { 1: "700^^^CITY^MR" } });
    expect(msa(circular).slice(0, 2)).toEqual(["AE", "M5"]);
    expect([fieldOf(circular.toString(), "ERR", 2), fieldOf(circular.toString(), "ERR", 3)]).toEqual([
      "MRG^1^1",
      "205^Duplicate key identifier^HL70357",
    ]);
    expect(await t.db.hl7Message.findFirstOrThrow({ where: { controlId: "M5" } })).toMatchObject({ status: "error" });
  });

  it("after the merge, a message or a search by the old MRN reaches the survivor", async () => {
    const survivor = (await patient("700"))!;
    const patients = await t.db.patient.count();
    const ack = await send({ id: "M6", event: "A08", at: "20240103100000", mrn: "701", name: "Doe^Janet", pv1: { 19: "E701^^^CITY" } });
    expect(msa(ack)).toEqual(["AA", "M6", ""]);
    expect(await t.db.patient.count()).toBe(patients);
    expect(await patient("701")).toBeNull();
    expect(await patient("700")).toMatchObject({ id: survivor.id, givenName: "Janet", searchText: "doe janet 700" });

    const admin: TSessionUser = { id: "a", email: "a@example.org", name: "A", role: "admin", departmentIds: [] };
    const found = await findEncounters(t.db, admin, { q: "701" });
    expect(found.map((e) => [e.visitNumber, e.patient.mrn]).sort()).toEqual([
      ["E700", "700"],
      ["E701", "700"],
    ]);
  });

  it("an identity change is resolved by the imaging team", async () => {
    const [change] = await findIdentityChanges(t.db);
    expect(await resolveIdentityChange(t.db, change!.id)).toBe(true);
    expect(await findIdentityChanges(t.db, { unresolvedOnly: true })).toEqual([]);
    expect((await findIdentityChanges(t.db))[0]!.resolvedAt).toBeInstanceOf(Date);
  });

  it("A40 with an unknown prior identifier records the alias for late messages", async () => {
    const ack = await send({ id: "M7", event: "A40", at: "20240104100000", mrn: "700", pv1: null, mrg: { 1: "799^^^CITY^MR" } });
    expect(msa(ack)).toEqual(["AA", "M7", "prior identifier unknown; alias recorded"]);
    await send({ id: "M8", event: "A04", at: "20240104110000", mrn: "799", pv1: { 19: "E799^^^CITY" } });
    expect(await patient("799")).toBeNull();
    expect((await encounter("E799")).patientId).toBe((await patient("700"))!.id);
  });

  it("A11 cancels the visit (off the worklist) and A13 reopens a discharge; captured studies stay", async () => {
    await send({ id: "C1", event: "A04", at: "20240105100000", mrn: "710", pv1: { 19: "E710^^^CITY" } });
    const study = await captureStudy("E710", ["stored"]);
    expect(msa(await send({ id: "C2", event: "A11", at: "20240105110000", mrn: "710", name: "", pv1: { 19: "E710^^^CITY" } }))).toEqual(["AA", "C2", ""]);
    expect(await encounter("E710")).toMatchObject({ status: "cancelled" });
    expect(await t.db.study.findUnique({ where: { id: study.id } })).not.toBeNull();
    expect(await t.db.instance.count({ where: { series: { studyId: study.id } } })).toBe(1);
    const admin: TSessionUser = { id: "a", email: "a@example.org", name: "A", role: "admin", departmentIds: [] };
    expect((await findEncounters(t.db, admin, { q: "710" })).map((e) => e.visitNumber)).toEqual([]);

    await send({ id: "C3", event: "A01", at: "20240105120000", mrn: "711", pv1: { 2: "I", 19: "E711^^^CITY" } });
    await send({ id: "C4", event: "A03", at: "20240105130000", mrn: "711", pv1: { 19: "E711^^^CITY" } });
    expect(await encounter("E711")).toMatchObject({ status: "discharged", dischargedAt: new Date(2024, 0, 5, 13, 0, 0) });
    const after = await captureStudy("E711", ["stored"]);
    await send({ id: "C5", event: "A13", at: "20240105140000", mrn: "711", pv1: { 3: "GI^2^2^CITY", 19: "E711^^^CITY" } });
    expect(await encounter("E711")).toMatchObject({ status: "active", dischargedAt: null, pointOfCare: "GI", departmentId: dept.gi });
    expect(await t.db.study.findUnique({ where: { id: after.id } })).not.toBeNull();
  });

  it("A12 without PV1-6 keeps the location and says so; a cancel for an unknown visit creates nothing", async () => {
    await send({ id: "X1", event: "A02", at: "20240106100000", mrn: "720", pv1: { 3: "GI^5^1^CITY", 19: "E720^^^CITY" } });
    expect(await encounter("E720")).toMatchObject({ pointOfCare: "GI", departmentId: dept.gi, status: "active" });
    const ack = await send({ id: "X2", event: "A12", at: "20240106110000", mrn: "720", pv1: { 19: "E720^^^CITY" } });
    expect(msa(ack)).toEqual(["AA", "X2", "PV1-6 prior location empty; location kept"]);
    expect(await encounter("E720")).toMatchObject({ pointOfCare: "GI" });

    const counts = [await t.db.patient.count(), await t.db.encounter.count()];
    for (const [i, event] of ["A11", "A12", "A13"].entries()) {
      const cancel = await send({ id: `X3${i}`, event, at: "20240106120000", mrn: "729", pv1: { 19: "E729^^^CITY" } });
      expect(msa(cancel)).toEqual(["AA", `X3${i}`, "unknown visit; nothing to cancel"]);
    }
    expect([await t.db.patient.count(), await t.db.encounter.count()]).toEqual(counts);
  });

  it("an older A08 after a newer one changes neither patient nor encounter, and the ACK says so", async () => {
    await send({ id: "O1", event: "A04", at: "20240107100000", mrn: "730", pv1: { 19: "E730^^^CITY" } });
    await send({ id: "O2", event: "A08", at: "20240107120000", mrn: "730", name: "Doe^Newer", pv1: { 3: "DERM^3^3^CITY", 19: "E730^^^CITY" } });
    const ack = await send({ id: "O3", event: "A08", at: "20240107110000", mrn: "730", name: "Doe^Older", pv1: { 3: "DERM^2^2^CITY", 19: "E730^^^CITY" } });
    expect(msa(ack)[0]).toBe("AA");
    expect(msa(ack)[2]).toBe("older than the patient's last event; patient not updated; older than the encounter's last event; not applied");
    expect(await patient("730")).toMatchObject({ givenName: "Newer", lastEventAt: new Date(2024, 0, 7, 12, 0, 0) });
    expect(await encounter("E730")).toMatchObject({ room: "3", lastEventAt: new Date(2024, 0, 7, 12, 0, 0) });

    // A newer A31 protects the patient; an older A08 still updates its (older) visit.
    await send({ id: "O4", event: "A31", at: "20240107130000", mrn: "730", name: "Doe^Person", pv1: null });
    const partly = await send({ id: "O5", event: "A08", at: "20240107125000", mrn: "730", name: "Doe^Stale", pv1: { 3: "DERM^4^4^CITY", 19: "E730^^^CITY" } });
    expect(msa(partly)[2]).toBe("older than the patient's last event; patient not updated");
    expect(await patient("730")).toMatchObject({ givenName: "Person" });
    expect(await encounter("E730")).toMatchObject({ room: "4" });
  });

  it("A05 pre-admits (not on the worklist) and A01 activates the same visit", async () => {
    await send({ id: "P1", event: "A05", at: "20240108100000", mrn: "740", pv1: { 2: "P", 19: "E740^^^CITY" } });
    expect(await encounter("E740")).toMatchObject({ status: "preadmit", departmentId: dept.derm });
    const admin: TSessionUser = { id: "a", email: "a@example.org", name: "A", role: "admin", departmentIds: [] };
    expect(await findEncounters(t.db, admin, { q: "E740" })).toEqual([]);
    await send({ id: "P2", event: "A01", at: "20240108110000", mrn: "740", pv1: { 2: "I", 19: "E740^^^CITY" } });
    expect(await encounter("E740")).toMatchObject({ status: "active", patientClass: "I" });
    expect((await findEncounters(t.db, admin, { q: "E740" })).map((e) => e.visitNumber)).toEqual(["E740"]);
  });

  it("A06 changes the class and renumbers the visit named in MRG-5, listing its delivered images", async () => {
    await send({ id: "R1", event: "A04", at: "20240109100000", mrn: "750", pv1: { 2: "O", 19: "E750^^^CITY" } });
    const before = await encounter("E750");
    const study = await captureStudy("E750", ["stored"]);
    const ack = await send({
      id: "R2",
      event: "A06",
      at: "20240109110000",
      mrn: "750",
      pv1: { 2: "I", 19: "E751^^^CITY" },
      mrg: { 1: "750^^^CITY^MR", 5: "E750^^^CITY" },
    });
    expect(msa(ack)).toEqual(["AA", "R2", ""]);
    const after = await encounter("E751");
    expect(after).toMatchObject({ id: before.id, patientClass: "I", status: "active" });
    const changes = await t.db.identityChange.findMany({ where: { studyId: study.id } });
    expect(changes).toMatchObject([{ kind: "visit-change", fromMrn: "750", fromVisitNumber: "E750", sopInstanceUids: study.uids[0] }]);

    await send({ id: "R3", event: "A07", at: "20240109120000", mrn: "750", pv1: { 2: "O", 19: "E751^^^CITY" } });
    expect(await encounter("E751")).toMatchObject({ id: before.id, patientClass: "O" });
  });

  it("A35 renumbers a visit keyed by the account number", async () => {
    await send({ id: "R4", event: "A04", at: "20240110100000", mrn: "760", pid: { 18: "ACC1^^^CITY" }, pv1: { 19: "" } });
    const before = await encounter("ACC1");
    const ack = await send({ id: "R5", event: "A35", at: "20240110110000", mrn: "760", pid: { 18: "ACC2^^^CITY" }, pv1: null, mrg: { 1: "760^^^CITY^MR", 3: "ACC1^^^CITY" } });
    expect(msa(ack)).toEqual(["AA", "R5", ""]);
    expect((await encounter("ACC2")).id).toBe(before.id);
  });

  it("A47 renames the MRN and lists delivered images; a new MRN of another patient is AE 207", async () => {
    await send({ id: "I1", event: "A04", at: "20240111100000", mrn: "770", pv1: { 19: "E770^^^CITY" } });
    const before = (await patient("770"))!;
    const study = await captureStudy("E770", ["stored", "failed"]);
    const ack = await send({ id: "I2", event: "A47", at: "20240111110000", mrn: "771", pv1: null, mrg: { 1: "770^^^CITY^MR" } });
    expect(msa(ack)).toEqual(["AA", "I2", ""]);
    expect(await patient("771")).toMatchObject({ id: before.id, searchText: "doe jane 771" });
    expect(await t.db.identityChange.findMany({ where: { studyId: study.id } })).toMatchObject([
      { kind: "identifier-change", fromMrn: "770", toPatientId: before.id, sopInstanceUids: study.uids[0] },
    ]);
    const again = await send({ id: "I3", event: "A47", at: "20240111120000", mrn: "771", pv1: null, mrg: { 1: "770^^^CITY^MR" } });
    expect(msa(again)).toEqual(["AA", "I3", "identifier already changed; nothing changed"]);

    const taken = await send({ id: "I4", event: "A47", at: "20240111130000", mrn: "730", pv1: null, mrg: { 1: "771^^^CITY^MR" } });
    expect(msa(taken).slice(0, 2)).toEqual(["AE", "I4"]);
    expect(fieldOf(taken.toString(), "ERR", 2)).toBe("PID^1^3");
    expect(await patient("771")).not.toBeNull();
  });

  it("remapEncounterDepartments applies a mapping edit to existing encounters (not cancelled ones)", async () => {
    await send({ id: "D1", event: "A04", at: "20240112100000", mrn: "780", pv1: { 3: "NEWPOC^1^1^CITY", 19: "E780^^^CITY" } });
    await send({ id: "D2", event: "A04", at: "20240112100000", mrn: "781", pv1: { 3: "NEWPOC^1^2^CITY", 19: "E781^^^CITY" } });
    await send({ id: "D3", event: "A11", at: "20240112110000", mrn: "781", pv1: { 19: "E781^^^CITY" } });
    expect((await encounter("E780")).departmentId).toBeNull();
    await t.db.locationMapping.create({ data: { facilityCode: "CITY", pointOfCare: "NEWPOC", departmentId: dept.gi } });
    expect(await remapEncounterDepartments(t.db, { pointOfCare: "NEWPOC" })).toEqual({ updated: 1 });
    expect((await encounter("E780")).departmentId).toBe(dept.gi);
    expect((await encounter("E781")).departmentId).toBeNull();

    await t.db.locationMapping.updateMany({ where: { pointOfCare: "DERM" }, data: { departmentId: dept.gi } });
    const { updated } = await remapEncounterDepartments(t.db);
    expect(updated).toBeGreaterThan(0);
    expect((await encounter("E730")).departmentId).toBe(dept.gi);
    expect(await remapEncounterDepartments(t.db)).toEqual({ updated: 0 });
  });
});
