import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import type { Logger } from "../log";

export interface RedisHandle {
  readonly url: string;
  /** Stops the private redis-server if we started one; no-op otherwise. */
  stop(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

/** True when a Redis answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function isLocal(url: URL): boolean {
  return ["127.0.0.1", "localhost", "::1", "[::1]"].includes(url.hostname);
}

/**
 * Finds the Redis that BullMQ needs: the one at REDIS_URL, or — when nothing answers there, the
 * address is local and redis-server is installed — a private one started under ./data/redis with
 * append-only persistence (so queued jobs survive a restart), stopped when perpbot exits.
 */
export async function ensureRedis(options: { url: string; autostart: boolean; dataDir: string; logger: Logger }): Promise<RedisHandle> {
  if (await redisAnswers(options.url)) return { url: options.url, stop: () => Promise.resolve() };
  const parsed = new URL(options.url);
  const installed = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
  if (!options.autostart || !isLocal(parsed) || !installed) {
    throw new RedisUnavailableError(
      `No Redis answers at ${parsed.protocol}//${parsed.host}` +
      (installed ? "" : " and redis-server is not installed") + ". perpbot needs Redis for its job queues. " +
      "Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) and run perpbot again — " +
      "it starts a private Redis by itself — or set REDIS_URL to a Redis you run.",
    );
  }
  const dir = path.resolve(options.dataDir, "redis");
  mkdirSync(dir, { recursive: true });
  const port = parsed.port || "6379";
  const child: ChildProcess = spawn("redis-server", [
    "--port", port, "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", "", "--daemonize", "no", "--logfile", path.join(dir, "redis.log"),
  ], { stdio: "ignore" });
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (await redisAnswers(options.url, 300)) {
      options.logger.info({ port, dir }, "started a private redis-server (append-only) under ./data/redis");
      return { url: options.url, stop: () => stopChild(child) };
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGTERM");
  throw new RedisUnavailableError(`redis-server did not start on port ${port}; see ${path.join(dir, "redis.log")}.`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM"); // redis-server flushes the append-only file on SIGTERM
    setTimeout(() => { child.kill("SIGKILL"); resolve(); }, 5000).unref();
  });
}
