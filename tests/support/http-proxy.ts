/**
 * A small HTTP proxy for forwarding tests, in front of a real archive (Orthanc): it counts requests and the
 * largest number in flight at once, and can demand a bearer token (401 without it, 403 with a wrong one), which
 * Orthanc itself cannot check.
 */
import http from "node:http";
import type net from "node:net";

export type THttpProxy = {
  url: string;
  port: number;
  /** Requests per method seen (e.g. { POST: 3, GET: 1 }). */
  requests: () => Record<string, number>;
  /** The most requests in flight at the same time. */
  maxInFlight: () => number;
  /** Expect: headers seen (must stay empty: Orthanc stalls 1 s on 100-continue). */
  expectHeaders: () => string[];
  close: () => Promise<void>;
};

/**
 * @param target - origin, e.g. http://127.0.0.1:8042
 * @param options - bearerToken: require `Authorization: Bearer <token>`
 */
export const startHttpProxy = async (target: string, options: { bearerToken?: string } = {}): Promise<THttpProxy> => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const counts: Record<string, number> = {};
  const expects: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((req, res) => {
    counts[req.method ?? "?"] = (counts[req.method ?? "?"] ?? 0) + 1;
    if (req.headers.expect) {
      expects.push(String(req.headers.expect));
    }
    if (options.bearerToken !== undefined) {
      const auth = req.headers.authorization;
      if (auth !== `Bearer ${options.bearerToken}`) {
        req.resume();
        res.writeHead(auth ? 403 : 401, { "Content-Type": "text/plain" }).end(auth ? "forbidden" : "unauthorized");

        return;
      }
    }
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const headers = { ...req.headers };
    delete headers.authorization;
    const upstream = http.request(new URL(req.url ?? "/", target), { method: req.method, headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    res.on("close", () => (inFlight -= 1));
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  const sockets = new Set<net.Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: () => ({ ...counts }),
    maxInFlight: () => maxInFlight,
    expectHeaders: () => [...expects],
    close: async () => {
      for (const s of sockets) {
        s.destroy();
      }
      agent.destroy();
      await new Promise((r) => server.close(r));
    },
  };
};
