import { NextResponse } from "next/server";
import { z } from "zod";
import { AppError } from "../errors";
import { createLogger } from "../logger";

const log = createLogger("api");

/**
 * Map any error to a JSON response `{ error: message, code }`: AppError → its status; zod → 400 with the
 * failing fields; anything else → 500 with a generic message (details go to the log, without PHI).
 * @param error - what was thrown
 */
export const handleApiError = (error: unknown): NextResponse => {
  if (error instanceof AppError) {
    return NextResponse.json({ error: error.message, code: error.code }, { status: error.status });
  }
  if (error instanceof z.ZodError) {
    const message = error.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("; ");

    return NextResponse.json({ error: message, code: "bad_request" }, { status: 400 });
  }
  log.error("unhandled error in API route", { error: (error as Error)?.message?.slice(0, 300) });

  return NextResponse.json({ error: "internal error", code: "internal" }, { status: 500 });
};
