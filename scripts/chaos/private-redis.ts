import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { redisAnswers } from "../../src/queue/redis";
import { sleep } from "./sleep";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class PrivateRedis {
  private child: ChildProcess | null = null;
  constructor(readonly port: number, private readonly dir: string) {
    // Whatever happens to this run, the private redis-server does not outlive it.
    process.on("exit", () => this.child?.kill("SIGKILL"));
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn("redis-server", [
      "--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
      "--dir", this.dir, "--logfile", path.join(this.dir, "redis.log"),
    ], { stdio: "ignore" });
    this.child = child;
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if (child.exitCode !== null) break;
      if (await this.answers()) return;
      await sleep(20);
    }
    throw new Error(`redis-server did not start on port ${this.port}; see ${path.join(this.dir, "redis.log")}`);
  }

  private answers(): Promise<boolean> {
    return redisAnswers(this.url, 300);
  }

  /** SIGKILL: no persistence configured, so everything in it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }
}
