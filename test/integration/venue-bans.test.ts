import type { Job } from "bullmq";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pollMarketJob } from "../../jobs/poll-market";
import type { App } from "../../src/app/context";
import { recordMarket } from "../../src/app/record-market";
import { createCcxtMarketData, perpMarketFor, type CcxtVenue } from "../../src/exchange/ccxt-market-data";
import type { MarketDataSource } from "../../src/exchange/market-data";
import { cooldownKey } from "../../src/app/venue-cooldown";
import { QUEUE, type JobData, type Queues } from "../../src/queue/queues";
import { ExchangeServer } from "../stand-ins/exchange-server";
import { useRecordingApps, type RecordingApp } from "../support/test-env";

/**
 * Bans and long pauses through the REAL ccxt 4.5.84 client against the exchange stand-in, in each
 * venue's wire format: the banned venue is skipped without a request until the ban is over, the
 * others are recorded in the same poll, and the operator hears once when it starts and once when
 * it ends. The clock is the app's (injected into the adapters too).
 */

const BTC = "BTC/USDT:USDT";
const VENUES: readonly CcxtVenue[] = ["bybit", "binanceusdm", "okx"];
const ALL_VENUES: readonly CcxtVenue[] = [...VENUES, "bitget"];
const OKX_CONTRACT = 0.01;
const MIN = 60_000;
/** Binance's "banned until" time from the brief: 2023-11-14 22:13:20 UTC. */
const BANNED_UNTIL = 1_700_000_000_000;
const START = BANNED_UNTIL - 10 * MIN;
const FUNDING = /\/fapi\/v1\/premiumIndex$|\/v5\/market\/tickers$|\/api\/v5\/public\/funding-rate$|\/api\/v2\/mix\/market\/current-fund-rate$/;

const newApp = useRecordingApps();
let clock = START;
const server = new ExchangeServer({ now: () => clock });
const open: MarketDataSource[] = [];

beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => {
  server.reset();
  for (const venue of ALL_VENUES) {
    server.addMarket(venue, BTC, venue === "okx" ? { contractSize: OKX_CONTRACT } : {});
    server.setCurrentFunding(venue, BTC, { rate: 0.0001, nextFundingTs: START + 60 * MIN, intervalHours: 8, markPrice: 37_000, indexPrice: 36_990 });
    server.setTicker(venue, BTC, { last: 37_000, bid: 36_999.5, ask: 37_000.5, baseVolume24h: 1_000, quoteVolume24h: 37_000_000 });
    server.setBook(venue, BTC, { bids: [[36_999.5, 2]], asks: [[37_000.5, 3]] });
  }
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function setup(venues: readonly CcxtVenue[] = VENUES): Promise<RecordingApp & { sources: MarketDataSource[]; at: (t: number) => void }> {
  clock = START;
  const env = await newApp({ now: START, settings: { symbols: [BTC], venues: [...venues] } });
  const at = (t: number): void => {
    clock = t;
    env.setNow(t);
  };
  const sources = venues.map((venue) =>
    createCcxtMarketData({
      venue, logger: pino({ level: "silent" }), hostOverride: server.url, timeoutMs: 2_000, now: () => env.app.clock(),
      markets: [perpMarketFor(venue, BTC, venue === "okx" ? { contractSize: OKX_CONTRACT } : {})],
    }),
  );
  open.push(...sources);
  return { ...env, sources, at };
}

const texts = (env: RecordingApp): string[] => env.notices.flatMap((n) => (n.kind === "text" ? [n.text] : []));
const calls = (venue: CcxtVenue): number => server.requestsTo(venue).length;
const snapshots = (app: App, venue: string): Promise<number> => app.db.marketSnapshot.count({ where: { venue } });

function pollJob(app: App, sources: readonly MarketDataSource[]) {
  const added: string[] = [];
  const queue = { add: (name: string) => Promise.resolve(added.push(name)) };
  const queues = { [QUEUE.signals]: queue, [QUEUE.monitor]: queue } as unknown as Queues;
  let n = 0;
  const run = () => {
    n += 1;
    const job = { id: `repeat:poll-market:${n}`, opts: { attempts: 4 }, attemptsMade: 0, data: { reason: "test" } } as unknown as Job<JobData[typeof QUEUE.poll]>;
    return pollMarketJob({ app, sources, queues })(job);
  };
  return { run, added };
}

describe("venue bans through real ccxt", () => {
  it("Binance 418 'IP banned until <ms>': skipped without a request until that time, the others recorded, told once at start and once at end", async () => {
    const env = await setup();
    server.banNext("binanceusdm", FUNDING, { bannedUntil: BANNED_UNTIL });

    const first = await recordMarket(env.app, env.sources);
    expect(first.recorded).toBe(2); // Bybit and OKX in the same poll
    expect(first.failures).toHaveLength(1);
    expect(first.failures[0]?.error).toMatchObject({ kind: "banned", venue: "binanceusdm", bannedUntil: BANNED_UNTIL, retryAfterMs: 10 * MIN });
    expect(first.cooling).toMatchObject([{ venue: "binanceusdm", until: BANNED_UNTIL, kind: "banned" }]);
    expect(texts(env)).toHaveLength(1);
    expect(texts(env)[0]).toMatch(/^Binance USD-M has banned this IP for too many requests \(HTTP 418, code -1003\): "Way too much request weight used; IP banned until 1700000000000\. .*"; not calling it for 10 min, until 2023-11-14 22:13 UTC\./);
    // Kept in the database too, so a restart does not hammer it.
    const row = await env.app.db.setting.findUnique({ where: { key: cooldownKey("binanceusdm") } });
    expect(JSON.parse(row?.value ?? "{}")).toMatchObject({ until: BANNED_UNTIL, kind: "banned" });

    const before = calls("binanceusdm");
    for (const t of [START + MIN, BANNED_UNTIL - 1]) {
      env.at(t);
      const again = await recordMarket(env.app, env.sources);
      expect(again.recorded).toBe(2);
      expect(again.cooling.map((c) => c.venue)).toEqual(["binanceusdm"]);
    }
    expect(calls("binanceusdm")).toBe(before); // not one request while banned
    expect(texts(env)).toHaveLength(1); // no message per cycle
    expect(await snapshots(env.app, "bybit")).toBe(3);

    env.at(BANNED_UNTIL);
    const after = await recordMarket(env.app, env.sources);
    expect(after.recorded).toBe(3);
    expect(after.cooling).toEqual([]);
    expect(calls("binanceusdm")).toBeGreaterThan(before);
    expect(texts(env)).toHaveLength(2);
    expect(texts(env)[1]).toBe("Binance USD-M: the ban ended at 2023-11-14 22:13:20 UTC; polling it again.");
    expect(await env.app.db.setting.findUnique({ where: { key: cooldownKey("binanceusdm") } })).toBeNull();

    env.at(BANNED_UNTIL + 15 * MIN);
    await recordMarket(env.app, env.sources);
    expect(texts(env)).toHaveLength(2);
  });

  it("a ban survives a restart: a new process reads the database and does not call the venue", async () => {
    const env = await setup();
    server.banNext("binanceusdm", FUNDING, { bannedUntil: BANNED_UNTIL });
    await recordMarket(env.app, env.sources);
    const before = calls("binanceusdm");
    // A new process: nothing in memory, only what the database holds (the Setting row, copied here).
    const row = await env.app.db.setting.findUniqueOrThrow({ where: { key: cooldownKey("binanceusdm") } });
    const restarted = await newApp({ now: START + 5 * MIN, settings: { symbols: [BTC], venues: [...VENUES] } });
    await restarted.app.db.setting.create({ data: { key: row.key, value: row.value } });
    env.at(START + 5 * MIN);
    const outcome = await recordMarket(restarted.app, env.sources);
    expect(outcome.cooling.map((c) => c.venue)).toEqual(["binanceusdm"]);
    expect(outcome.recorded).toBe(2);
    expect(calls("binanceusdm")).toBe(before);
    expect(texts(restarted)).toEqual([]); // the ban was announced already
    expect(texts(env)).toHaveLength(1);
  });

  it("Bybit 403 'access too frequent' without Retry-After: the documented default of 30 minutes", async () => {
    const env = await setup();
    server.banNext("bybit", FUNDING);
    const first = await recordMarket(env.app, env.sources);
    expect(first.recorded).toBe(2);
    expect(first.failures[0]?.error).toMatchObject({ kind: "banned", venue: "bybit", retryAfterMs: 30 * MIN, bannedUntil: START + 30 * MIN });
    expect((first.failures[0]?.error.cause as Error).name).toBe("RateLimitExceeded"); // ccxt's class for every Bybit 403
    expect(texts(env)).toEqual([expect.stringMatching(/^Bybit has banned this IP for too many requests \(HTTP 403\); not calling it for 30 min, until 2023-11-14 22:33 UTC\./)]);

    const before = calls("bybit");
    env.at(START + 30 * MIN - 1);
    expect((await recordMarket(env.app, env.sources)).cooling.map((c) => c.venue)).toEqual(["bybit"]);
    expect(calls("bybit")).toBe(before);
    env.at(START + 30 * MIN);
    expect((await recordMarket(env.app, env.sources)).recorded).toBe(3);
    expect(texts(env)).toHaveLength(2);
  });

  it("a 429 with Retry-After: 120 pauses the venue 120 s, and a 1-hour Retry-After is kept, not cut to 5 minutes", async () => {
    const env = await setup();
    server.rateLimitNext("okx", FUNDING, 120);
    const first = await recordMarket(env.app, env.sources);
    expect(first.recorded).toBe(2);
    expect(first.failures[0]?.error).toMatchObject({ kind: "rate-limited", venue: "okx", retryAfterMs: 120_000 });
    expect(first.cooling).toMatchObject([{ venue: "okx", until: START + 120_000, kind: "rate-limited" }]);
    expect(texts(env)).toEqual([]); // a 2-minute pause is for the log, not the chat
    const before = calls("okx");
    env.at(START + 119_999);
    expect((await recordMarket(env.app, env.sources)).cooling.map((c) => c.venue)).toEqual(["okx"]);
    expect(calls("okx")).toBe(before);
    env.at(START + 120_000);
    expect((await recordMarket(env.app, env.sources)).recorded).toBe(3);

    server.rateLimitNext("binanceusdm", FUNDING, 3_600);
    env.at(START + 10 * MIN);
    await recordMarket(env.app, env.sources);
    const held = calls("binanceusdm");
    env.at(START + 10 * MIN + 59 * MIN);
    expect((await recordMarket(env.app, env.sources)).cooling.map((c) => c.venue)).toEqual(["binanceusdm"]);
    expect(calls("binanceusdm")).toBe(held);
    expect(texts(env)).toEqual([expect.stringMatching(/^Binance USD-M is rate-limiting us \(HTTP 429, code -1003\).*; retry in 60 min\..* not polled for 60 min/)]);
  });
});

describe("bitget pauses through real ccxt", () => {
  it("Bitget's 429 with Retry-After: 900 pauses it 15 min (told once), the three others recorded in the same poll", async () => {
    const env = await setup(ALL_VENUES);
    server.rateLimitNext("bitget", FUNDING, 900);
    const first = await recordMarket(env.app, env.sources);
    expect(first.recorded).toBe(3);
    expect(first.failures[0]?.error).toMatchObject({ kind: "rate-limited", venue: "bitget", retryAfterMs: 900_000 });
    expect((first.failures[0]?.error.cause as Error).name).toBe("DDoSProtection"); // ccxt's class for Bitget's body code 429
    expect(first.cooling).toMatchObject([{ venue: "bitget", until: START + 900_000, kind: "rate-limited" }]);
    expect(texts(env)).toHaveLength(1); // 15 minutes is long enough to tell the operator
    const before = calls("bitget");
    env.at(START + 900_000 - 1);
    expect((await recordMarket(env.app, env.sources)).cooling.map((c) => c.venue)).toEqual(["bitget"]);
    expect(calls("bitget")).toBe(before);
    env.at(START + 900_000);
    expect((await recordMarket(env.app, env.sources)).recorded).toBe(4);
    expect(await snapshots(env.app, "bitget")).toBe(1);
  });

  it("Bitget's 429 without Retry-After is a rate limit, not a ban: no cool-down, the next poll calls it again", async () => {
    const env = await setup(ALL_VENUES);
    server.failNext("bitget", FUNDING, 1, { status: 429, body: { code: "429", msg: "Too Many Requests", requestTime: START, data: null } });
    const first = await recordMarket(env.app, env.sources);
    expect(first.failures[0]?.error).toMatchObject({ kind: "rate-limited", venue: "bitget", retryAfterMs: null });
    expect(first.cooling).toEqual([]);
    const before = calls("bitget");
    env.at(START + 15 * MIN);
    expect((await recordMarket(env.app, env.sources)).recorded).toBe(4);
    expect(calls("bitget")).toBeGreaterThan(before);
  });
});

describe("the poll job with a banned venue", () => {
  it("does not throw (no 15 s retry) while the other venues answer, and queues signals as usual", async () => {
    const env = await setup();
    server.banNext("binanceusdm", FUNDING, { bannedUntil: BANNED_UNTIL });
    const poll = pollJob(env.app, env.sources);
    await expect(poll.run()).resolves.toMatchObject({ recorded: 2, cooling: 1 });
    expect(poll.added).toEqual(["compute", "monitor"]);
  });

  it("when every venue is banned it ends without throwing, so BullMQ does not retry before the ban allows", async () => {
    const env = await setup();
    server.banNext("binanceusdm", FUNDING, { bannedUntil: BANNED_UNTIL });
    server.banNext("bybit", FUNDING);
    server.rateLimitNext("okx", FUNDING, 1_800); // OKX has no IP-ban answer: a 30-minute pause
    const poll = pollJob(env.app, env.sources);
    await expect(poll.run()).resolves.toMatchObject({ recorded: 0, cooling: 3 });
    const before = server.requests.length;
    env.at(START + 15 * MIN - 6 * MIN); // the next scheduled poll, still inside the ban
    await expect(poll.run()).resolves.toMatchObject({ recorded: 0, cooling: 3 });
    expect(server.requests.length).toBe(before);
    expect(poll.added).toEqual([]);
    expect(texts(env)).toHaveLength(3); // one per venue, once
  });

  it("still retries with backoff when a venue that is not cooling down fails", async () => {
    const env = await setup();
    server.banNext("binanceusdm", FUNDING, { bannedUntil: BANNED_UNTIL });
    server.failNext("bybit", FUNDING, 10, { status: 502, body: "Bad Gateway" });
    server.failNext("okx", FUNDING, 10, { status: 502, body: "Bad Gateway" });
    await expect(pollJob(env.app, env.sources).run()).rejects.toThrow(/No market data this round\. bybit .*okx /);
  });
});
