/**
 * Work-around for prisma/orm#27403, used only by prisma.config.ts (migrations through the js schema engine).
 *
 * The schema engine reads pg_catalog columns typed `name` (OID 19), `"char"` (18), `regproc` (24) and
 * `regclass` (2205), which @prisma/adapter-pg 6.19 refuses to deserialize. This pg.Client reports those columns
 * (and their array types) as text / text[], which is what their values already are on the text protocol.
 * At run time the app uses a plain PrismaPg and needs none of this.
 */
import pg from "pg";

const AS_TEXT = new Map<number, number>([
  [19, 25],
  [18, 25],
  [24, 25],
  [2205, 25],
  [1003, 1009],
  [1002, 1009],
  [1008, 1009],
  [2210, 1009],
]);

type TFields = { fields?: { dataTypeID: number }[] } | undefined;

const retype = (result: unknown): void => {
  const results = Array.isArray(result) ? (result as TFields[]) : [result as TFields];
  for (const r of results) {
    for (const f of r?.fields ?? []) {
      const to = AS_TEXT.get(f.dataTypeID);
      if (to !== undefined) {
        f.dataTypeID = to;
      }
    }
  }
};

export class CatalogTextClient extends pg.Client {
  // pg-pool calls query() with a callback; the adapter awaits the promise form. Handle both.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (err: unknown, res: unknown) => {
        if (!err) {
          retype(res);
        }
        last(err, res);
      };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return (super.query as any)(...args);
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const out = (super.query as any)(...args);
    if (out && typeof out.then === "function") {
      return out.then((res: unknown) => {
        retype(res);

        return res;
      });
    }

    return out;
  }
}
