import path from "node:path";
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { requireUser } from "@/lib/auth/require-user";
import { createCapture } from "@/lib/capture/create-capture";
import { receiveUpload } from "@/lib/capture/receive-upload";
import { resolveUploads } from "@/lib/capture/resolve-uploads";
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

/** JSON form: files uploaded before through the resumable upload endpoint (tus, /api/v1/uploads). */
const ZCaptureJsonSchema = ZCaptureFieldsSchema.extend({
  uploads: z
    .array(z.object({ id: z.string().min(1).max(128), bodySite: z.string().max(20).optional() }))
    .min(1, "name one or more finished uploads")
    .max(50),
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
// one or more `file` (photos, videos, DICOM); or JSON { encounterId, procedureId, imageLaterality?, bodySite?,
// uploads: [{ id, bodySite? }] } naming finished resumable uploads (/api/v1/uploads) → 201 capture
export const POST = async (request: NextRequest): Promise<NextResponse> => {
  let cleanup = async (): Promise<void> => {};
  try {
    const user = await requireUser(request, ["clinician", "manager", "admin"]);
    const env = getEnv();
    const options = {
      dataDir: env.dataDir,
      orgRoot: env.dicomOrgRoot,
      maxPixels: env.maxImagePixels,
      videoLimits: { maxDurationMs: env.videoMaxMs, maxBytes: env.maxUploadBytes },
    };
    let capture;
    if ((request.headers.get("content-type") ?? "").startsWith("application/json")) {
      const body = ZCaptureJsonSchema.parse(await request.json());
      const resolved = await resolveUploads(user, body.uploads.map((u) => u.id));
      const bodySites = Object.fromEntries(body.uploads.flatMap((u, i) => (u.bodySite ? [[i, u.bodySite]] : [])));
      capture = await createCapture(getDb(), user, { ...body, bodySites, files: resolved.files }, options);
      // Only once recorded: a refused capture keeps its uploads (24 h) so the good files need no second upload.
      cleanup = resolved.release;
    } else {
      const upload = await receiveUpload(request, { tmpDir: path.join(env.dataDir, "tmp"), maxFileBytes: env.maxUploadBytes });
      cleanup = async () => upload.cleanup();
      const fields = ZCaptureFieldsSchema.parse(upload.fields);
      const files = upload.files.filter((f) => f.field === "file");
      capture = await createCapture(getDb(), user, { ...fields, bodySites: bodySitesOf(upload.fields), files }, options);
    }

    return NextResponse.json(capture, { status: 201 });
  } catch (error) {
    return handleApiError(error);
  } finally {
    await cleanup();
  }
};
