// The durable floor for `npm run bench:adt`: the least an MLLP receiver can do and still ACK only what is on disk —
// append each message to a file, fdatasync, then ACK (MSA-2 = MSH-10). Usage: node scripts/mllp-durable-floor.mjs <port> <file>
import fs from "node:fs";
import net from "node:net";

const [port, file] = [Number(process.argv[2]), process.argv[3]];
const fd = fs.openSync(file, "a");
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
            fs.write(fd, message, () =>
              fs.fdatasync(fd, () => {
                const msh = message.toString("latin1").split("\r", 1)[0].split("|");
                const ack = `MSH|^~\\&|${msh[4]}|${msh[5]}|${msh[2]}|${msh[3]}|||ACK|F${msh[9]}|P|${msh[11]}\rMSA|AA|${msh[9]}\r`;
                socket.write(Buffer.concat([Buffer.from([VT]), Buffer.from(ack, "latin1"), Buffer.from([FS, 0x0d])]), resolve);
              }),
            );
          }),
      );
    }
  });
  socket.on("error", () => {});
});
server.listen(port, "127.0.0.1", () => console.log(JSON.stringify({ msg: "listening", port })));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
