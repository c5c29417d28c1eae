import crypto from "node:crypto";
import fs from "node:fs";

/**
 * SHA-256 (hex) of a file, streamed (never held whole in memory).
 * @param file - path of the file
 */
export const sha256File = async (file: string): Promise<string> => {
  const hash = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }

  return hash.digest("hex");
};
