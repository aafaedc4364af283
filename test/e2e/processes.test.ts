import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freshDatabaseUrl } from "../support/test-database";
import { REDIS_URL } from "../support/test-env";

/**
 * The real entry points as a user runs them: `tsx src/main.ts` and `tsx src/sim/demo.ts` in child
 * processes, reading only the environment.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const scratch = mkdtempSync(path.join(tmpdir(), "perpbot-proc-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Run { code: number | null; output: string }

function run(script: string, env: Record<string, string>, options: { stopWhen?: RegExp; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [script], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? scratch, ...env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let signalled = false;
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (options.stopWhen && !signalled && options.stopWhen.test(output)) {
        signalled = true;
        child.kill("SIGTERM");
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`timed out; output so far:\n${output}`)); }, options.timeoutMs ?? 40_000);
    child.on("exit", (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

/** A port where a TCP server accepts and immediately drops connections: an exchange that is down. */
async function deadPort(): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as { port: number }).port, server };
}

describe("npm start (src/main.ts)", () => {
  it("refuses a bad setting with one message naming the variable, and exits non-zero", async () => {
    const result = await run("src/main.ts", { LEVERAGE: "25", TELEGRAM_BOT_TOKEN: "123456:SECRET-TOKEN-VALUE", TELEGRAM_CHAT_IDS: "desk" });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/LEVERAGE is capped at 10x/);
    expect(result.output).toMatch(/TELEGRAM_CHAT_IDS must be numeric chat ids, comma-separated \(got "desk"\)/);
    expect(result.output).not.toMatch(/SECRET-TOKEN-VALUE/);
  });

  it("refuses LIVE_TRADING=true without keys or paper journal, naming each missing condition, and exits non-zero", async () => {
    const result = await run("src/main.ts", {
      DATABASE_URL: freshDatabaseUrl(path.join(scratch, "live.db")), REDIS_URL, QUEUE_PREFIX: `proc${Date.now()}`, PORT: "0", LIVE_TRADING: "true",
      VENUES: "okx", TRADING_VENUE: "okx", OKX_API_KEY: "key-value-123456",
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/LIVE_TRADING=true refused: OKX_API_SECRET, OKX_API_PASSPHRASE are not set/);
    expect(result.output).toMatch(/LIVE_TRADING=true refused: there is no paper journal yet/);
    expect(result.output).not.toMatch(/key-value-123456/);
  });

  it("says plainly when no exchange answers, points to the demo, and stops cleanly on SIGTERM", async () => {
    const { port, server } = await deadPort();
    try {
      const result = await run("src/main.ts", {
        DATABASE_URL: freshDatabaseUrl(path.join(scratch, "main.db")), REDIS_URL, QUEUE_PREFIX: `proc${Date.now()}`, PORT: "0",
        EXCHANGE_HOST_OVERRIDE: `http://127.0.0.1:${port}`, EXCHANGE_TIMEOUT_MS: "1000", VENUES: "bybit,binanceusdm", TRADING_VENUE: "bybit",
      }, { stopWhen: /npm run demo/ });
      expect(result.output).toMatch(/No market data this round/);
      expect(result.output).toMatch(/Bybit/);
      expect(result.output).toMatch(/Retrying with backoff \(attempt 1 of 4\)/);
      expect(result.output).toMatch(/stopped cleanly/);
      expect(result.code).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe("npm run demo (src/sim/demo.ts)", () => {
  it("goes from simulated market data to a closed paper trade offline and prints the PnL", { timeout: 90_000 }, async () => {
    const result = await run("src/sim/demo.ts", { REDIS_URL }, { timeoutMs: 85_000 });
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/\[\d+a\] ✅ Approve {3}\[\d+b\] ❌ Reject/);
    expect(result.output).toMatch(/demo operator pressed ✅ Approve/);
    expect(result.output).toMatch(/📂 Open: filled/);
    expect(result.output).toMatch(/🏁 Closed \((stop-loss|horizon)\)/);
    expect(result.output).toMatch(/══ demo summary ══/);
    expect(result.output).toMatch(/PnL \(paper\): -?[\d,]+\.\d\d USDT/);
  });
});
