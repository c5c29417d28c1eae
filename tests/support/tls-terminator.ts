/**
 * HTTPS in front of a plain-HTTP server for tests: a node TLS server on 127.0.0.1 with a given key and certificate
 * (made by the test with openssl, signed by a test CA) relaying bytes to the target port. Used where Orthanc's own
 * SslEnabled cannot be (Debian's Orthanc 1.10.1 crashes on the first TLS connection).
 */
import net from "node:net";
import tls from "node:tls";

export type TTlsTerminator = { port: number; url: string; close: () => Promise<void> };

/**
 * @param targetPort - the plain server on 127.0.0.1
 * @param credentials - PEM key and certificate (chain) to present
 */
export const startTlsTerminator = async (targetPort: number, credentials: { key: string; cert: string }): Promise<TTlsTerminator> => {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(credentials, (client) => {
    const upstream = net.connect({ host: "127.0.0.1", port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  // A client that rejects our certificate ends the handshake: not an error of the terminator.
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    url: `https://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) {
        s.destroy();
      }
      await new Promise((r) => server.close(r));
    },
  };
};
