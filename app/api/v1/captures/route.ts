import path from "node:path";
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { requireUser } from "@/lib/auth/require-user";
import { createCapture } from "@/lib/capture/create-capture";
import { receiveUpload } from "@/lib/capture/receive-upload";
import { getDb } from "@/lib/db";
import { getEnv } from "@/lib/env";
import { handleApiError } from "@/lib/http/handle-api-error";

export const dynamic = "force-dynamic";
const ZCaptureFieldsSchema = z.object({
  encounterId: z.string().min(1, "encounterId is required"),
  procedureId: z.string().min(1, "procedureId is required"),
  imageLaterality: z.enum(["R", "L", "U", "B"]).optional(),
  bodySite: z.string().max(20).optional(),
});

/** `bodySite.<n>` fields: the body site of the n-th file (0-based). */
const bodySitesOf = (fields: Record<string, string>): Record<number, string> =>
  Object.fromEntries(
    Object.entries(fields)
      .map(([k, v]) => [/^bodySite\.(\d{1,3})$/.exec(k)?.[1], v] as const)
      .filter((e): e is readonly [string, string] => e[0] !== undefined && e[1] !== "")
      .map(([i, v]) => [Number(i), v]),
  );

// POST /api/v1/captures – multipart: encounterId, procedureId, [imageLaterality], [bodySite], [bodySite.<n>],
// one or more `file` (photos, videos, DICOM) → 201 capture
export const POST = async (request: NextRequest): Promise<NextResponse> => {
  let cleanup = (): void => {};
  try {
    const user = await requireUser(request, ["clinician", "manager", "admin"]);
    const env = getEnv();
    const upload = await receiveUpload(request, { tmpDir: path.join(env.dataDir, "tmp"), maxFileBytes: env.maxUploadBytes });
    cleanup = upload.cleanup;
    const fields = ZCaptureFieldsSchema.parse(upload.fields);
    const files = upload.files.filter((f) => f.field === "file");
    const capture = await createCapture(
      getDb(),
      user,
      { ...fields, bodySites: bodySitesOf(upload.fields), files },
      { dataDir: env.dataDir, orgRoot: env.dicomOrgRoot, maxPixels: env.maxImagePixels, videoLimits: { maxDurationMs: env.videoMaxMs, maxBytes: env.maxUploadBytes } },
    );

    return NextResponse.json(capture, { status: 201 });
  } catch (error) {
    return handleApiError(error);
  } finally {
    cleanup();
  }
};
