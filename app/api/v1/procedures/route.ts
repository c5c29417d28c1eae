import { NextResponse, type NextRequest } from "next/server";
import { requireUser } from "@/lib/auth/require-user";
import { findCatalogItems } from "@/lib/catalog/find-catalog-items";
import { getDb } from "@/lib/db";
import { handleApiError } from "@/lib/http/handle-api-error";

export const dynamic = "force-dynamic";

// GET /api/v1/procedures – the catalog items visible to the caller
export const GET = async (request: NextRequest): Promise<NextResponse> => {
  try {
    const user = await requireUser(request);
    const items = await findCatalogItems(getDb(), user);

    return NextResponse.json(items.map(({ id, code, scheme, meaning, department }) => ({ id, code, scheme, meaning, department })));
  } catch (error) {
    return handleApiError(error);
  }
};
