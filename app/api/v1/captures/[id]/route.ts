import { NextResponse, type NextRequest } from "next/server";
import { requireUser } from "@/lib/auth/require-user";
import { getCapture } from "@/lib/capture/get-capture";
import { getDb } from "@/lib/db";
import { handleApiError } from "@/lib/http/handle-api-error";

export const dynamic = "force-dynamic";

// GET /api/v1/captures/<id> – the capture with each instance's delivery status and last error
export const GET = async (request: NextRequest, ctx: { params: Promise<{ id: string }> }): Promise<NextResponse> => {
  try {
    const user = await requireUser(request);
    const { id } = await ctx.params;

    return NextResponse.json(await getCapture(getDb(), user, id));
  } catch (error) {
    return handleApiError(error);
  }
};
