// GET /admin/routing/export/csv?facilityId=… | ?ruleId=… – the divestiture list as CSV, streamed (admins only)
import { requireUser } from "@/lib/auth/require-user";
import { getDb } from "@/lib/db";
import { exportDeliveries } from "@/lib/forwarding/export-deliveries";
import { ZDivestitureScope } from "@/lib/forwarding/divestiture-scope";
import { handleApiError } from "@/lib/http/handle-api-error";

export const dynamic = "force-dynamic";

export const GET = async (request: Request): Promise<Response> => {
  try {
    const user = await requireUser(request, ["admin"]);
    const params = new URL(request.url).searchParams;
    const facilityId = params.get("facilityId");
    const scope = ZDivestitureScope.parse(facilityId ? { facilityId } : { ruleId: params.get("ruleId") ?? "" });
    const { fileName, lines } = await exportDeliveries(getDb(), user, scope);
    const iterator = lines[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const next = await iterator.next();
        if (next.done) {
          controller.close();
        } else {
          controller.enqueue(encoder.encode(next.value));
        }
      },
      cancel: async () => {
        await iterator.return?.(undefined);
      },
    });

    return new Response(body, {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${fileName}"`,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    return handleApiError(error);
  }
};
