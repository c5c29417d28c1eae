import { NextResponse, type NextRequest } from "next/server";
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { getEnv } from "@/lib/env";
import { renderThumbnail } from "@/lib/history/render-thumbnail";
import { renderPlaceholderSvg } from "@/lib/history/thumbnail-placeholder";
import { handleApiError } from "@/lib/http/handle-api-error";

export const dynamic = "force-dynamic";

// GET /api/v1/instances/<id>/thumbnail – a small JPEG of the image, or an SVG placeholder saying why there is none
// (X-Thumbnail: sensitive | archived | video | unavailable)
export const GET = async (request: NextRequest, ctx: { params: Promise<{ id: string }> }): Promise<NextResponse> => {
  try {
    const user = await requireUser(request);
    const { id } = await ctx.params;
    const thumb = await renderThumbnail(getDb(), user, id.slice(0, 64), { dataDir: getEnv().dataDir });
    const headers = { "cache-control": "private, no-store", "x-content-type-options": "nosniff" };
    if (thumb.kind === "jpeg") {
      return new NextResponse(new Uint8Array(thumb.data), { headers: { ...headers, "content-type": "image/jpeg", "x-thumbnail": "image" } });
    }

    return new NextResponse(renderPlaceholderSvg(thumb.reason), {
      headers: { ...headers, "content-type": "image/svg+xml", "x-thumbnail": thumb.reason },
    });
  } catch (error) {
    return handleApiError(error);
  }
};
