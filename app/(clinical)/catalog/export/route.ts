import { NextResponse, type NextRequest } from "next/server";
import { requireUser } from "@/lib/auth/require-user";
import { exportCatalogCsv } from "@/lib/catalog/export-catalog-csv";
import { getDepartment } from "@/lib/catalog/get-department";
import { getDb } from "@/lib/db";
import { handleApiError } from "@/lib/http/handle-api-error";

export const dynamic = "force-dynamic";

// GET /catalog/export?department=DERM – the department's catalog as CSV (managers of it, admins)
export const GET = async (request: NextRequest): Promise<NextResponse> => {
  try {
    const user = await requireUser(request, ["manager", "admin"]);
    const db = getDb();
    const department = await getDepartment(db, request.nextUrl.searchParams.get("department") ?? "");
    const { fileName, csv } = await exportCatalogCsv(db, user, department.id);

    return new NextResponse(`\uFEFF${csv}`, {
      headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${fileName}"`, "cache-control": "no-store" },
    });
  } catch (error) {
    return handleApiError(error);
  }
};
