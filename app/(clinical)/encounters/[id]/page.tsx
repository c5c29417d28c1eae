import { notFound } from "next/navigation";
import { getPageUser } from "@/lib/auth/get-page-user";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { findCatalogItems } from "@/lib/catalog/find-catalog-items";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { findPatientHistory } from "@/lib/history/find-patient-history";
import { formatBirthDate, formatDisplayName } from "@/lib/worklist/format-name";
import { getEncounter } from "@/lib/worklist/get-encounter";
import { PatientBanner } from "@/components/patient/patient-banner";
import { PatientHistory } from "@/components/patient/patient-history";
import { UnsentGuard } from "@/components/patient/unsent-guard";
import { CaptureForm } from "@/components/capture/capture-form";

export const metadata = { title: "Capture – Encounter Capture" };

export default async function EncounterPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await getPageUser();
  const { id } = await params;
  const db = getDb();
  const encounter = await getEncounter(db, user, id.slice(0, 64)).catch((e: unknown) => {
    if (e instanceof AppError && e.code === "not_found") {
      notFound();
    }
    throw e;
  });
  await recordAuditEvent(db, { action: "patient.view", userId: user.id, patientId: encounter.patientId, subject: `encounter ${encounter.id}`, source: "web" });
  // Procedures of the encounter's department first; a clinician may belong to several departments.
  const items = await findCatalogItems(db, user);
  const ordered = [...items.filter((i) => i.department === encounter.department?.code), ...items.filter((i) => i.department !== encounter.department?.code)];
  const history = await findPatientHistory(db, user, { patientId: encounter.patientId, encounterId: encounter.id });

  return (
    <>
      <PatientBanner
        name={formatDisplayName(encounter.patient)}
        birthDate={formatBirthDate(encounter.patient.birthDate)}
        sex={encounter.patient.sex}
        mrn={encounter.patient.mrn}
        issuer={encounter.patient.issuer}
        visitNumber={encounter.visitNumber}
        location={[encounter.facility?.name, encounter.pointOfCare, encounter.room, encounter.bed].filter(Boolean).join(" / ")}
        status={encounter.status}
      />
      <UnsentGuard />
      <main className="mx-auto max-w-5xl px-4 py-6">
        <CaptureForm encounterId={encounter.id} procedures={ordered} />
        <PatientHistory studies={history} />
      </main>
    </>
  );
}
