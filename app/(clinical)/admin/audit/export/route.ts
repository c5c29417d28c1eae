import { NextResponse, type NextRequest } from "next/server";
import { exportAuditCsv } from "@/lib/audit/export-audit-csv";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { handleApiError } from "@/lib/http/handle-api-error";

export const dynamic = "force-dynamic";

// GET /admin/audit/export?user=&patient=&action=&from=&to= – the filtered audit log as CSV (admins; audited)
export const GET = async (request: NextRequest): Promise<NextResponse> => {
  try {
    const user = await requireUser(request, ["admin"]);
    const p = request.nextUrl.searchParams;
    const get = (k: string) => p.get(k) || undefined;
    const { csv, truncated } = await exportAuditCsv(getDb(), user, { user: get("user"), patient: get("patient"), action: get("action"), from: get("from"), to: get("to") });
    const stamp = new Date().toISOString().slice(0, 10);

    return new NextResponse(`\uFEFF${csv}`, {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="audit-${stamp}.csv"`,
        "cache-control": "no-store",
        ...(truncated ? { "x-truncated": "true" } : {}),
      },
    });
  } catch (error) {
    return handleApiError(error);
  }
};
