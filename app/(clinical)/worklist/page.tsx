import { getPageUser } from "@/lib/auth/get-page-user";
import { getDb } from "@/lib/db";
import { findEncounters } from "@/lib/worklist/find-encounters";
import { recordWorklistView } from "@/lib/worklist/record-worklist-view";
import { WorklistView } from "@/components/worklist/worklist-view";

export const metadata = { title: "Worklist – Encounter Capture" };

export default async function WorklistPage({ searchParams }: { searchParams: Promise<{ q?: string }> }) {
  const user = await getPageUser();
  const { q = "" } = await searchParams;
  const db = getDb();
  const encounters = await findEncounters(db, user, { q: q.slice(0, 100) });
  await recordWorklistView(db, user, encounters, "web");

  return (
    <main className="mx-auto max-w-5xl px-4 py-6">
      <h1 className="mb-4 text-2xl font-semibold">Worklist</h1>
      <WorklistView initialQuery={q} initialEncounters={encounters} />
    </main>
  );
}
