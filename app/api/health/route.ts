import { NextResponse } from "next/server";
import { getDb } from "@/lib/db";
import { checkHealth } from "@/lib/health/check-health";

export const dynamic = "force-dynamic";

// GET /api/health – 200 {"status":"ok"} once web, database, MLLP listener and forwarder are up; 503 otherwise
export const GET = async (): Promise<NextResponse> => {
  const health = await checkHealth(getDb());

  return NextResponse.json(health, { status: health.status === "ok" ? 200 : 503 });
};
