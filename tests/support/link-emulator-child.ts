/**
 * Entry point of startLinkEmulatorProcess (link-emulator.ts): runs one link emulator in its own process, so that
 * relaying gigabytes does not share an event loop (and a core) with the sender being measured — as a real link
 * costs the endpoints nothing. Options arrive as JSON in argv[2]; the port goes back over the IPC channel; the process
 * ends when its parent disconnects.
 */
import { startLinkEmulator, type TLinkOptions } from "./link-emulator";

const options = JSON.parse(process.argv[2] ?? "{}") as TLinkOptions;
const link = await startLinkEmulator(options);
process.send?.({ port: link.port });
process.on("message", (message: { bytes?: boolean }) => {
  if (message.bytes) {
    process.send?.({ bytes: link.bytes(), connections: link.connections() });
  }
});
process.on("disconnect", () => {
  void link.close().finally(() => process.exit(0));
});
