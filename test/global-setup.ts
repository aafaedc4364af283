import { existsSync, mkdtempSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { ensureRedis, type RedisHandle } from "../src/queue/redis";
import { dropRunSchemas, newRunKey, onPostgres, RUN_KEY_VARIABLE } from "./support/test-database";

/**
 * Before any test: the Prisma client must be generated (npm install does it; this covers a
 * checkout where scripts were skipped), the bundle in dist/ built, and a real Redis must answer — the one at REDIS_URL, or a
 * private redis-server started for the run, as the program itself does. Tests never mock Redis.
 */
let redis: RedisHandle | null = null;

export async function setup(): Promise<void> {
  const root = path.resolve(import.meta.dirname, "..");
  // PostgreSQL test databases are schemas named after the run, so the teardown can drop them all.
  process.env[RUN_KEY_VARIABLE] ??= newRunKey();
  if (!existsSync(path.join(root, "src/store/generated/client.ts")) || !existsSync(path.join(root, "src/store/generated-postgres/client.ts"))) {
    execFileSync(process.execPath, [path.join(root, "scripts/prisma.mjs"), "generate"], { cwd: root, stdio: "inherit" });
  }
  // Role processes run the bundle, as `npm start` does (test/support/role-process.ts): build it
  // from the sources under test, as `prestart` would.
  execFileSync(process.execPath, [path.join(root, "scripts/build.mjs")], { cwd: root, stdio: "inherit" });
  redis = await ensureRedis({
    url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    autostart: true,
    dataDir: mkdtempSync(path.join(tmpdir(), "perpbot-test-redis-")),
    logger: pino({ level: "warn" }),
  });
}

export async function teardown(): Promise<void> {
  await redis?.stop();
  if (onPostgres) await dropRunSchemas(process.env[RUN_KEY_VARIABLE] ?? "");
}
