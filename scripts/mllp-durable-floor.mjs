// The durable floor for `npm run bench:adt`: the least an MLLP receiver can do and still ACK only what is on disk —
// append each message to a file, fdatasync, then ACK (MSA-2 = MSH-10). Usage: node scripts/mllp-durable-floor.mjs <port> <file>
// With a postgresql:// URL instead of a file: the least a receiver backed by PostgreSQL can do — one prepared INSERT
// of the raw message per message, committed (WAL flushed) before the ACK, no parsing, no other row.
import fs from "node:fs";
import net from "node:net";
import pg from "pg";

const [port, file] = [Number(process.argv[2]), process.argv[3]];
const usePg = file.startsWith("postgres");
const fd = usePg ? -1 : fs.openSync(file, "a");
// A pool: each MLLP connection's messages commit on their own database connection (as the listener's pool does).
const client = usePg ? new pg.Pool({ connectionString: file, max: 8 }) : null;
if (client) {
  await client.query("CREATE TABLE IF NOT EXISTS bench_floor_message (id bigserial PRIMARY KEY, body bytea NOT NULL)");
}
/** Make one message durable, then call done. */
const store = (message, done) => {
  if (client) {
    client
      .query({ name: "floor_insert", text: "INSERT INTO bench_floor_message (body) VALUES ($1)", values: [message] })
      .then(() => done(), (error) => { console.error(error.message); process.exit(1); });
  } else {
    fs.write(fd, message, () => fs.fdatasync(fd, done));
  }
};
const VT = 0x0b;
const FS = 0x1c;

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let buffer = Buffer.alloc(0);
  let busy = Promise.resolve();
  socket.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const start = buffer.indexOf(VT);
      const end = buffer.indexOf(FS, start + 1);
      if (start < 0 || end < 0 || end + 1 >= buffer.length) break;
      const message = buffer.subarray(start + 1, end);
      buffer = buffer.subarray(end + 2);
      busy = busy.then(
        () =>
          new Promise((resolve) => {
            store(message, () => {
              const msh = message.toString("latin1").split("\r", 1)[0].split("|");
              const ack = `MSH|^~\\&|${msh[4]}|${msh[5]}|${msh[2]}|${msh[3]}|||ACK|F${msh[9]}|P|${msh[11]}\rMSA|AA|${msh[9]}\r`;
              socket.write(Buffer.concat([Buffer.from([VT]), Buffer.from(ack, "latin1"), Buffer.from([FS, 0x0d])]), resolve);
            });
          }),
      );
    }
  });
  socket.on("error", () => {});
});
server.listen(port, "127.0.0.1", () => console.log(JSON.stringify({ msg: "listening", port })));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
