import { rmSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { settingsFromConfig } from "../app/settings-from-config";
import { ConsoleTransport } from "../chat/console/console-transport";
import { decodeButton } from "../chat/callback-codec";
import type { Actor, MessageRef, OutgoingMessage } from "../chat/transport";
import { ConfigError, loadConfig } from "../config";
import { createLogger } from "../log";
import { QUEUE, type Queues } from "../queue/queues";
import { ensureRedis, RedisUnavailableError } from "../queue/redis";
import { startRuntime, type Runtime } from "../runtime";
import { openDatabase } from "../store/database";
import { MarketSimulator } from "./market-simulator";

/**
 * `npm run demo`: the whole path offline, at accelerated time. A simulated market feeds the same
 * poll → signal → proposal → approval → paper execution → monitor jobs through a real Redis and
 * a real SQLite file (./data/demo.db, recreated each run). A demo operator presses Approve on the
 * first proposal; the demo ends when that position has closed and prints the PnL.
 */
const STEP_MS = 15 * 60_000;
const MAX_STEPS = 4 * 24 * 4; // four simulated days
const OPERATOR: Actor = { platform: "console", userId: "demo", displayName: "demo operator" };

async function drained(queues: Queues): Promise<boolean> {
  for (const queue of Object.values(queues)) {
    const counts = await (queue as Queues["notify"]).getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children");
    if (Object.values(counts).some((n) => n > 0)) return false;
  }
  return true;
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn", TELEGRAM_BOT_TOKEN: "", DISCORD_BOT_TOKEN: "" });
  const logger = createLogger({ level: config.LOG_LEVEL, secrets: [], pretty: config.LOG_FORMAT !== "json" });
  const dbFile = path.resolve("data", "demo.db");
  for (const suffix of ["", "-wal", "-shm"]) rmSync(dbFile + suffix, { force: true });
  const db = await openDatabase(`file:${dbFile}`);
  const redisHandle = await ensureRedis({ url: config.REDIS_URL, autostart: config.REDIS_AUTOSTART, dataDir: path.resolve("data"), logger });
  const redis = new Redis(redisHandle.url, { maxRetriesPerRequest: null });

  const start = Date.UTC(2026, 0, 5, 0, 0, 0);
  let now = start;
  const clock = (): number => now;
  const stamp = (): string => new Date(now).toISOString().replace("T", " ").slice(0, 16);
  const venues = ["bybit", "okx", "binanceusdm"];
  const sim = new MarketSimulator({ seed: 7, start, startPrice: 0.62, episodeStartHours: 10, episodeHours: 10, venues });

  let runtime: Runtime | null = null;
  const pending = new Set<Promise<unknown>>();
  let approvedId: string | null = null;
  const console = new (class extends ConsoleTransport {
    override async broadcast(message: OutgoingMessage): Promise<MessageRef[]> {
      const refs = await super.broadcast(message);
      const button = message.buttons?.find((b) => decodeButton(b.data)?.kind === "approve");
      const approve = button ? decodeButton(button.data) : null;
      const ref = refs[0];
      if (button && approve && approvedId === null && runtime && ref) {
        approvedId = approve.proposalId;
        // Press the very button the card carries, through the same router a chat click reaches.
        const press = runtime.router.onButton(button.data, OPERATOR, ref)
          .then((outcome) => process.stdout.write(`\n[${stamp()}] demo operator pressed ✅ Approve → ${outcome.toast}\n`));
        pending.add(press);
        void press.finally(() => pending.delete(press));
      }
      return refs;
    }
  })({ write: (text) => process.stdout.write(`${text.replace("── perpbot", `── [${stamp()}] perpbot`)}\n`) });

  const settings = { ...settingsFromConfig(config), symbols: ["MNT/USDT:USDT"], venues, tradingVenue: "bybit", pollIntervalMinutes: 15 };
  runtime = await startRuntime({
    roles: ["worker", "bot"], db, logger, redis, settings, clock, schedule: false,
    queuePrefix: `demo${Date.now().toString(36)}`,
    sources: venues.map((v) => sim.source(v, clock)),
    transports: [console],
  });
  process.stdout.write(`perpbot demo: simulated MNT perps on ${venues.join(", ")}, one poll per 15 simulated minutes, paper trading.\n`);

  let steps = 0;
  let finished = false;
  for (; steps < MAX_STEPS && !finished; steps += 1) {
    now += STEP_MS;
    await runtime.queues[QUEUE.poll].add("poll", { reason: "demo" }, { jobId: `demo-${steps}` });
    // Wait for the whole chain (poll → signals → notify → approval → execution → monitor) to settle.
    do await new Promise((resolve) => setTimeout(resolve, 5));
    while (!(await drained(runtime.queues)) || pending.size > 0);
    if (approvedId !== null) {
      const proposal = await db.proposal.findUnique({ where: { id: approvedId } });
      finished = proposal !== null && ["closed", "failed", "expired", "rejected"].includes(proposal.status);
    }
  }

  const pnl = await runtime.router.onCommand("pnl", [], OPERATOR);
  const signals = await db.signal.count();
  const fired = await db.signal.count({ where: { fired: true } });
  const trade = approvedId ? await db.position.findUnique({ where: { proposalId: approvedId } }) : null;
  process.stdout.write([
    "", "══ demo summary ══",
    `simulated ${Math.round((steps * STEP_MS) / 3_600_000)} h in ${((Date.now() - started) / 1000).toFixed(1)} s; ${steps} polls × ${venues.length} venues`,
    `signals computed ${signals}, fired ${fired}; proposals ${await db.proposal.count()}`,
    trade ? `trade: ${trade.side} ${Number(trade.quantity).toFixed(1)} MNT at ${Number(trade.entryPrice).toFixed(4)} → ${trade.exitPrice === null ? "open" : Number(trade.exitPrice).toFixed(4)} (${trade.closeReason ?? "open"})` : "trade: none",
    "", pnl.text, "",
  ].join("\n"));

  await runtime.stop();
  await redis.quit();
  await db.$disconnect();
  await redisHandle.stop();
  process.exit(finished && trade?.status === "closed" ? 0 : 1);
}

main().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof RedisUnavailableError;
  process.stderr.write(`${known ? (error as Error).message : `demo failed: ${error instanceof Error ? error.stack : String(error)}`}\n`);
  process.exit(1);
});
