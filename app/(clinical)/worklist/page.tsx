import { getPageUser } from "@/lib/auth/get-page-user";
import { getDb } from "@/lib/db";
import { findEncounters } from "@/lib/worklist/find-encounters";
import { findWorklistOptions } from "@/lib/worklist/find-worklist-options";
import { parseWorklistParams } from "@/lib/worklist/parse-worklist-params";
import { recordWorklistView } from "@/lib/worklist/record-worklist-view";
import { WorklistView } from "@/components/worklist/worklist-view";

export const metadata = { title: "Worklist – Encounter Capture" };

type TSearch = Record<string, string | string[] | undefined>;

export default async function WorklistPage({ searchParams }: { searchParams: Promise<TSearch> }) {
  const user = await getPageUser();
  const raw = await searchParams;
  const one = (k: string): string | undefined => (typeof raw[k] === "string" ? (raw[k] as string) : undefined);
  // A bad parameter in a bookmarked URL falls back to the plain worklist instead of an error page.
  const filters = (() => {
    try {
      return parseWorklistParams(one);
    } catch {
      return {};
    }
  })();
  const db = getDb();
  const [encounters, options] = await Promise.all([findEncounters(db, user, filters), findWorklistOptions(db, user)]);
  await recordWorklistView(db, user, encounters, "web");

  return (
    <main className="mx-auto max-w-5xl px-4 py-6">
      <h1 className="mb-4 text-2xl font-semibold">Worklist</h1>
      <WorklistView
        initialQuery={filters.q ?? ""}
        initialFilters={{ department: filters.departmentId ?? "", location: filters.location ?? "", status: filters.status ?? "", from: filters.from ?? "", to: filters.to ?? "" }}
        initialEncounters={encounters}
        options={options}
      />
    </main>
  );
}
