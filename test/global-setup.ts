import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { redisAnswers } from "../src/queue/redis";

/**
 * Before any test: the Prisma client must be generated (npm install does it; this covers a
 * checkout where someone skipped scripts) and a real Redis must answer. Tests never mock Redis.
 */
export default async function setup(): Promise<void> {
  const root = path.resolve(import.meta.dirname, "..");
  if (!existsSync(path.join(root, "src/store/generated/client.ts"))) {
    execFileSync(process.execPath, [path.join(root, "scripts/prisma.mjs"), "generate"], { cwd: root, stdio: "inherit" });
  }
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  if (!(await redisAnswers(url))) {
    throw new Error(`The tests need a real Redis at ${url} (BullMQ). Start one (redis-server) or set REDIS_URL; .ci/run starts one if it is missing.`);
  }
}
