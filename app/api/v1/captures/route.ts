import path from "node:path";
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { requireUser } from "@/lib/auth/require-user";
import { CONSENT_CHOICES } from "@/lib/capture/consent";
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
  // Optional for API clients (recorded as "" = not recorded); the web app always sends it. README "Consent".
  consent: z.enum(CONSENT_CHOICES, { error: `consent must be one of ${CONSENT_CHOICES.join(", ")}` }).optional(),
  sensitive: z.preprocess((v) => (v === "true" || v === "1" ? true : v === "false" || v === "0" || v === "" ? false : v), z.boolean()).optional(),
});
const ZSide = z.enum(["R", "L", "U", "B"]);

/** JSON form: files uploaded before through the resumable upload endpoint (tus, /api/v1/uploads). */
const ZCaptureJsonSchema = ZCaptureFieldsSchema.extend({
  uploads: z
    .array(z.object({ id: z.string().min(1).max(128), bodySite: z.string().max(20).optional(), imageLaterality: ZSide.optional() }))
    .min(1, "name one or more finished uploads")
    .max(50),
});

/** `<name>.<n>` fields (e.g. `bodySite.2`): the value for the n-th file (0-based). */
const perFile = (fields: Record<string, string>, name: string): Record<number, string> =>
  Object.fromEntries(
    Object.entries(fields)
      .map(([k, v]) => [new RegExp(`^${name}\\.(\\d{1,3})$`).exec(k)?.[1], v] as const)
      .filter((e): e is readonly [string, string] => e[0] !== undefined && e[1] !== "")
      .map(([i, v]) => [Number(i), v]),
  );

// POST /api/v1/captures – multipart: encounterId, procedureId, [imageLaterality], [bodySite], [bodySite.<n>],
// [imageLaterality.<n>], [consent], [sensitive], one or more `file` (photos, videos, DICOM); or JSON { encounterId,
// procedureId, imageLaterality?, bodySite?, consent?, sensitive?, uploads: [{ id, bodySite?, imageLaterality? }] }
// naming finished resumable uploads (/api/v1/uploads) → 201 capture
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
      const lateralities = Object.fromEntries(body.uploads.flatMap((u, i) => (u.imageLaterality ? [[i, u.imageLaterality]] : [])));
      capture = await createCapture(getDb(), user, { ...body, bodySites, lateralities, files: resolved.files }, options);
      // Only once recorded: a refused capture keeps its uploads (24 h) so the good files need no second upload.
      cleanup = resolved.release;
    } else {
      const upload = await receiveUpload(request, { tmpDir: path.join(env.dataDir, "tmp"), maxFileBytes: env.maxUploadBytes });
      cleanup = async () => upload.cleanup();
      const fields = ZCaptureFieldsSchema.parse(upload.fields);
      const files = upload.files.filter((f) => f.field === "file");
      const lateralities = z.record(z.string(), ZSide).parse(perFile(upload.fields, "imageLaterality"));
      capture = await createCapture(
        getDb(),
        user,
        { ...fields, bodySites: perFile(upload.fields, "bodySite"), lateralities, files },
        options,
      );
    }

    return NextResponse.json(capture, { status: 201 });
  } catch (error) {
    return handleApiError(error);
  } finally {
    await cleanup();
  }
};
