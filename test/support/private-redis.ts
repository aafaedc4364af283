import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { redisAnswers } from "../../src/queue/redis";
import { freePort, killGroup, sleep, track } from "./child-processes";

// ── a private Redis ──────────────────────────────────────────────────────────────────────

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** FLUSHALL on this Redis only. */
  flushAll(): Promise<void>;
  /** SIGKILL and start again on the same port: every key is lost and every connection dropped. */
  restart(): Promise<void>;
  /** An outage: SIGKILL, and nothing listens on the port until `up()`. */
  down(): Promise<void>;
  /** Back on the same port, empty. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

const ping = (url: string): Promise<boolean> => redisAnswers(url, 300);

async function redisCommand(url: string, ...args: [string, ...string[]]): Promise<unknown> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 1000, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    return await client.call(...args);
  } finally {
    client.disconnect();
  }
}

/** A redis-server on a free 127.0.0.1 port with no persistence: never the shared test Redis. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-redis-"));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let log = "";

  const launch = async (): Promise<void> => {
    const c = spawn("redis-server", [
      "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir, "--loglevel", "warning",
    ], { stdio: ["ignore", "pipe", "pipe"], detached: true });
    track(c);
    c.stdout?.on("data", (d: Buffer) => { log += d.toString(); });
    c.stderr?.on("data", (d: Buffer) => { log += d.toString(); });
    child = c;
    const deadline = Date.now() + 10_000;
    while (!(await ping(url))) {
      if (c.exitCode !== null || Date.now() > deadline) {
        killGroup(c, "SIGKILL");
        throw new Error(`redis-server did not start on port ${port}:\n${log}`);
      }
      await sleep(50);
    }
  };
  const kill = async (): Promise<void> => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((resolve) => c.once("exit", resolve));
    killGroup(c, "SIGKILL");
    await gone;
  };

  await launch();
  return {
    url,
    port,
    flushAll: async () => { await redisCommand(url, "FLUSHALL"); },
    down: kill,
    up: () => relaunch(),
    restart: async () => {
      await kill();
      await relaunch();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  async function relaunch(): Promise<void> {
    // The port is free again once the process is gone; retry briefly in case the kernel lags.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await launch();
        return;
      } catch (error) {
        if (attempt >= 5) throw error;
        await sleep(200);
      }
    }
  }
}
