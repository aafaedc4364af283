// Child of test/integration/icu-free.test.ts, run as `node --import tsx <this> <mode>`.
// Records every call into Intl and into the locale-aware methods (each loads ICU data the first
// time, megabytes of resident memory for good), then does what the bot does in its default
// configuration — reads the config, places the UTC digest, upserts every scheduler through real
// BullMQ on Redis, lets a worker take the monthly recalibration's job (BullMQ's worker then places
// the scheduler's next job), renders a proposal card — and prints the calls it saw as JSON. Mode
// "control" upserts through BullMQ's own cron strategy and formats with toLocaleString, which the
// watch must see.
import { randomBytes } from "node:crypto";
import Decimal from "decimal.js";
import { Redis } from "ioredis";

const uses: string[] = [];
const record = (what: string): void => {
  if (!uses.includes(what)) uses.push(what);
};
function watchMethod(owner: object, name: string, label: string): void {
  const original = (owner as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
  Object.defineProperty(owner, name, {
    configurable: true, writable: true,
    value: function watched(this: unknown, ...args: unknown[]) {
      record(label);
      return original.apply(this, args);
    },
  });
}
watchMethod(Number.prototype, "toLocaleString", "Number.prototype.toLocaleString");
watchMethod(BigInt.prototype, "toLocaleString", "BigInt.prototype.toLocaleString");
for (const name of ["toLocaleString", "toLocaleDateString", "toLocaleTimeString"]) watchMethod(Date.prototype, name, `Date.prototype.${name}`);
for (const name of ["localeCompare", "toLocaleUpperCase", "toLocaleLowerCase"]) watchMethod(String.prototype, name, `String.prototype.${name}`);
const intl = Intl as unknown as Record<string, unknown>;
for (const name of ["NumberFormat", "DateTimeFormat", "Collator", "PluralRules", "RelativeTimeFormat", "ListFormat", "Segmenter", "DisplayNames", "Locale"]) {
  const original = intl[name];
  if (typeof original !== "function") continue;
  intl[name] = new Proxy(original, {
    construct: (target, args): object => { record(`Intl.${name}`); return Reflect.construct(target as new (...a: unknown[]) => object, args); },
    apply: (target, self, args): unknown => { record(`Intl.${name}`); return Reflect.apply(target as (...a: unknown[]) => unknown, self, args); },
  });
}

const mode = process.argv[2] === "control" ? "control" : "perpbot";
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
const prefix = `icu${randomBytes(5).toString("hex")}`;
// Imported after the watch is in place, so that anything done at load time is seen too.
const { loadConfig } = await import("../../src/config");
const { dueDigest, nextSlotAfter } = await import("../../src/core/digest-slots");
const { closeQueues, createQueues, upsertSchedulers } = await import("../../src/queue/queues");
const { renderProposal } = await import("../../src/chat/render/proposal-card");
const { utcTime } = await import("../../src/chat/render/desk-format");
const { startWorkers } = await import("../../src/queue/workers");
const { Queue } = await import("bullmq");
const pino = (await import("pino")).default;
try {
  const now = Date.UTC(2026, 11, 4, 17, 30);
  if (mode === "perpbot") {
    loadConfig({ DIGEST_TIMES: "08:00,20:00" });
    const config = loadConfig({ DIGEST_TIMES: "08:00,20:00", DIGEST_TIME_ZONE: "Etc/UTC" });
    const schedule = { times: config.DIGEST_TIMES ?? [], zone: config.DIGEST_TIME_ZONE };
    dueDigest(schedule, now);
    nextSlotAfter(schedule, now);
    const queues = createQueues(redis, prefix);
    await upsertSchedulers(queues, { pollEveryMs: 900_000, monitorEveryMs: 60_000, digest: schedule });
    // A worker takes the recalibration job now (promoted from next month): starting it, BullMQ's
    // worker places the scheduler's following job with the worker's repeat strategy.
    let ran = false;
    // The jobs here carry no outbox intent, so the worker never reads the database; any read would fail loudly.
    const noDatabase = new Proxy({}, { get: () => { throw new Error("this child has no database"); } }) as never;
    const workers = startWorkers([{ queue: "calibration", processor: () => { ran = true; return Promise.resolve(); } }], {
      connection: redis, prefix, logger: pino({ level: "silent" }), db: noDatabase, clock: () => Date.now(),
    });
    const calibration = queues.calibration;
    const [first] = await calibration.getDelayed();
    if (first === undefined) throw new Error("the recalibration scheduler placed no job");
    await first.promote();
    for (let waited = 0; (!ran || (await calibration.getDelayed()).length === 0) && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    const [next] = await calibration.getDelayed();
    if (!ran || next === undefined || next.id === first.id) throw new Error("the worker did not place the scheduler's next job");
    await workers.close();
    await closeQueues(queues);
    const terms = {
      id: "picu", symbol: "MNT/USDT:USDT", venue: "bybit", side: "short" as const, signalId: 1, refPrice: 0.6, quantity: new Decimal("8333.333"),
      notionalUsd: new Decimal(5000), marginUsd: new Decimal(1000), leverage: 5, stopPrice: 0.612, takeProfitPrice: 0.582, liquidationPrice: 0.717,
      expectedFeesUsd: new Decimal("7.5"), expectedFundingUsd: new Decimal("-1.25"), horizonHours: 8, createdAt: now, expiresAt: now + 1_800_000, autoExecute: false,
    };
    renderProposal({ trade: { status: "pending", terms }, signal: null, now, mode: "paper" });
    utcTime(now - 3 * 86_400_000, now);
  } else {
    const queue = new Queue("calibration", { connection: redis, prefix });
    await queue.upsertJobScheduler("monthly", { pattern: "0 10 0 1 * *", tz: "UTC" }, { name: "recalibrate", data: {} });
    await queue.close();
    (1234.5).toLocaleString("en-US");
  }
  console.log(JSON.stringify({ mode, uses }));
} finally {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
