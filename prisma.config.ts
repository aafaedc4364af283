import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

// Used by the Prisma CLI only (scripts/prisma.mjs sets the offline environment). The running
// program opens the database itself (src/store/database.ts) and applies migrations on start.
const url = process.env.DATABASE_URL ?? `file:${path.resolve("data", "perpbot.db")}`;

export default defineConfig({
  schema: "prisma/schema.prisma",
  experimental: { adapter: true },
  engine: "js",
  adapter: () => Promise.resolve(new PrismaBetterSQLite3({ url })),
});
