import { type NextRequest } from "next/server";
import { requireUser } from "@/lib/auth/require-user";
import { getUploads, UPLOAD_USER_HEADER } from "@/lib/capture/upload-server";
import { handleApiError } from "@/lib/http/handle-api-error";

export const dynamic = "force-dynamic";

/**
 * tus 1.0 resumable uploads (lib/capture/upload-server.ts): POST creates, HEAD tells the offset, PATCH appends,
 * DELETE abandons. Authenticated here (session or bearer token); the tus server checks the upload's owner.
 */
const handle = async (request: NextRequest): Promise<Response> => {
  try {
    const user = await requireUser(request, ["clinician", "manager", "admin"]);
    const headers = new Headers(request.headers);
    headers.set(UPLOAD_USER_HEADER, user.id);
    const forwarded = new Request(request.url, {
      method: request.method,
      headers,
      body: request.method === "PATCH" || request.method === "POST" ? request.body : undefined,
      // Streams the body through (Node requires duplex for a stream body).
      ...({ duplex: "half" } as object),
    });

    return await getUploads().server.handleWeb(forwarded);
  } catch (error) {
    return handleApiError(error);
  }
};

export const POST = handle;
export const PATCH = handle;
export const HEAD = handle;
export const DELETE = handle;
export const OPTIONS = handle;
