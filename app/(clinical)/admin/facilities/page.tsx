import { getPageUser } from "@/lib/auth/get-page-user";
import { getDb } from "@/lib/db";
import { FacilityForm } from "@/components/admin/facility-form";

export const metadata = { title: "Facilities – Encounter Capture" };

export default async function FacilitiesPage() {
  await getPageUser(["admin"]);
  const facilities = await getDb().facility.findMany({ orderBy: { code: "asc" } });

  return (
    <main className="mx-auto max-w-6xl space-y-6 px-4 py-6">
      <h1 className="text-2xl font-semibold">Facilities</h1>
      <p className="text-slate-600">
        A facility is created on its first ADT message with the assigning authority of its first MR identifier. Set the
        MRN authority here — ideally before the feed starts: it decides which PID-3 repetition is the patient&apos;s MRN
        (DICOM Patient ID and Issuer of Patient ID). The name is written as Institution Name.
      </p>
      <section aria-label="Known facilities" className="space-y-3">
        {facilities.map((f) => (
          <FacilityForm key={f.id} facility={{ code: f.code, name: f.name, mrnAuthority: f.mrnAuthority, mrnAuthorityOid: f.mrnAuthorityOid ?? "" }} />
        ))}
      </section>
      <h2 className="text-lg font-semibold">Add a facility</h2>
      <FacilityForm />
    </main>
  );
}
