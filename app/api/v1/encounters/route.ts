import { NextResponse, type NextRequest } from "next/server";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { handleApiError } from "@/lib/http/handle-api-error";
import { findEncounters } from "@/lib/worklist/find-encounters";
import { parseWorklistParams } from "@/lib/worklist/parse-worklist-params";
import { recordWorklistView } from "@/lib/worklist/record-worklist-view";

export const dynamic = "force-dynamic";

// GET /api/v1/encounters?q=&department=&location=&status=&from=&to= – encounters visible to the caller,
// recently used patients first
export const GET = async (request: NextRequest): Promise<NextResponse> => {
  try {
    const user = await requireUser(request);
    const filters = parseWorklistParams((k) => request.nextUrl.searchParams.get(k));
    const db = getDb();
    const encounters = await findEncounters(db, user, filters);
    await recordWorklistView(db, user, encounters, request.headers.get("authorization") ? "api" : "web");

    return NextResponse.json(encounters);
  } catch (error) {
    return handleApiError(error);
  }
};
