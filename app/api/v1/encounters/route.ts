import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { handleApiError } from "@/lib/http/handle-api-error";
import { findEncounters } from "@/lib/worklist/find-encounters";
import { recordWorklistView } from "@/lib/worklist/record-worklist-view";

export const dynamic = "force-dynamic";
const ZQuerySchema = z.object({ q: z.string().max(100).optional() });

// GET /api/v1/encounters?q=<name or MRN> – encounters visible to the caller
export const GET = async (request: NextRequest): Promise<NextResponse> => {
  try {
    const user = await requireUser(request);
    const { q } = ZQuerySchema.parse({ q: request.nextUrl.searchParams.get("q") ?? undefined });
    const db = getDb();
    const encounters = await findEncounters(db, user, { q });
    await recordWorklistView(db, user, encounters, request.headers.get("authorization") ? "api" : "web");

    return NextResponse.json(encounters);
  } catch (error) {
    return handleApiError(error);
  }
};
