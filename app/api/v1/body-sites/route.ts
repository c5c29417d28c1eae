import { NextResponse, type NextRequest } from "next/server";
import { requireUser } from "@/lib/auth/require-user";
import { BODY_SITES } from "@/lib/catalog/body-sites";
import { handleApiError } from "@/lib/http/handle-api-error";

export const dynamic = "force-dynamic";

// GET /api/v1/body-sites – the coded body sites (SNOMED CT) a capture may name in bodySite / bodySite.<n>
export const GET = async (request: NextRequest): Promise<NextResponse> => {
  try {
    await requireUser(request, ["clinician", "manager", "admin"]);

    return NextResponse.json(BODY_SITES);
  } catch (error) {
    return handleApiError(error);
  }
};
