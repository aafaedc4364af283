import path from "node:path";
import { defineConfig } from "prisma/config";

// Read by the Prisma CLI (scripts/prisma.mjs), which here only generates the clients. The running
// program opens the database itself (src/store/database.ts) and applies migrations on start;
// migrations are diffed and checked offline by scripts/schema-engine.mjs.
const url = process.env.DATABASE_URL ?? `file:${path.resolve("data", "perpbot.db")}`;

export default defineConfig({
  schema: "prisma/schema.prisma",
  datasource: { url },
});
