import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { handleApiError } from "@/lib/http/handle-api-error";
import { findPatientByCode } from "@/lib/worklist/find-patient-by-code";

export const dynamic = "force-dynamic";
const ZQuerySchema = z.object({ code: z.string().min(1).max(200) });

// GET /api/v1/encounters/by-code?code=<wristband content> – { encounterId } of the patient's encounter to open
export const GET = async (request: NextRequest): Promise<NextResponse> => {
  try {
    const user = await requireUser(request);
    const { code } = ZQuerySchema.parse({ code: request.nextUrl.searchParams.get("code") ?? "" });
    const { encounterId } = await findPatientByCode(getDb(), user, code);

    return NextResponse.json({ encounterId });
  } catch (error) {
    return handleApiError(error);
  }
};
