import type { NextConfig } from "next";

const config: NextConfig = {
  // Native and heavy server-only packages stay as Node requires instead of being bundled.
  serverExternalPackages: ["better-sqlite3", "sharp", "pg", "dcmjs", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "busboy"],
  poweredByHeader: false,
  typedRoutes: false,
  devIndicators: false,
};

export default config;
