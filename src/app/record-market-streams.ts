import type { Candle } from "../core/signals/types";
import { snapSettlement } from "../core/trading/funding";
import type { MarketDataSource } from "../exchange/market-data";
import { insertRows } from "../store/bulk-insert";
import type { App } from "./context";

/**
 * The backfilled parts of a poll: settled funding prints and closed hourly perp and spot bars
 * newer than what is stored. Each call fetches at most one venue page; a first start catches up
 * over a few polls. Retried polls and overlapping pages never store a row twice.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const FUNDING_BACKFILL_DAYS = 7;
/** The volatility regime compares the last day with the 30 before it. */
const PERP_CANDLE_BACKFILL_DAYS = 31;
/** Volume divergence judges the last 4 h against the week before: 8 days covers it. */
const SPOT_CANDLE_BACKFILL_DAYS = 8;

/**
 * Fetches settled funding prints newer than what we hold (a week back on first sight). Stored by
 * the settlement they belong to (a Binance print stamped …:00.004 is the …:00 settlement), as
 * `npm run data:import` stores them, so one settlement is one row whichever wrote it first.
 */
export async function backfillFunding(app: App, source: MarketDataSource, symbol: string): Promise<void> {
  const latest = await app.db.fundingPrint.findFirst({ where: { venue: source.venue, symbol }, orderBy: { ts: "desc" }, select: { ts: true } });
  const since = latest ? latest.ts.getTime() + 1 : app.clock() - FUNDING_BACKFILL_DAYS * DAY_MS;
  const prints = await source.fetchFundingHistory(symbol, since);
  const now = app.clock();
  // One row per settlement: a venue that printed one settlement twice, or a print a few ms after
  // the stored one, snaps onto a settlement already in hand.
  const bySettlement = new Map<number, { venue: string; symbol: string; ts: Date; rate: number }>();
  for (const p of prints) {
    const ts = snapSettlement(p.ts);
    if (p.ts > now || (latest !== null && ts <= latest.ts.getTime()) || bySettlement.has(ts)) continue;
    bySettlement.set(ts, { venue: source.venue, symbol, ts: new Date(ts), rate: p.rate });
  }
  const rows = [...bySettlement.values()];
  if (rows.length === 0) return;
  try {
    // One insert for the page (a first start stores a week per pair: a row at a time cost a
    // transaction and two queries each, the bulk of a first poll's work and garbage), and not
    // Prisma's createMany, whose plan is compiled anew at every call (store/bulk-insert.ts).
    await insertRows(app.db, "FundingPrint", rows);
  } catch {
    // Another writer (a retried poll, an import) stored some meanwhile: one by one, keeping what exists.
    for (const row of rows) {
      await app.db.fundingPrint.upsert({ where: { venue_symbol_ts: { venue: row.venue, symbol: row.symbol, ts: row.ts } }, create: row, update: {} });
    }
  }
}

type BarRow = { venue: string; symbol: string; ts: Date; open: number; high: number; low: number; close: number; volume: number };

/** The two candle tables behind one small interface (their Prisma delegates have the same shape but distinct types). */
const TABLES = {
  perp: {
    latest: (app: App, venue: string, symbol: string) => app.db.candle.findFirst({ where: { venue, symbol }, orderBy: { ts: "desc" }, select: { ts: true } }),
    createMany: (app: App, data: BarRow[]) => insertRows(app.db, "Candle", data),
    upsert: (app: App, row: BarRow) => app.db.candle.upsert({ where: { venue_symbol_ts: { venue: row.venue, symbol: row.symbol, ts: row.ts } }, create: row, update: {} }),
    fetch: (source: MarketDataSource, symbol: string, since: number) => source.fetchPerpCandles(symbol, since),
    backfillDays: PERP_CANDLE_BACKFILL_DAYS,
  },
  spot: {
    latest: (app: App, venue: string, symbol: string) => app.db.spotCandle.findFirst({ where: { venue, symbol }, orderBy: { ts: "desc" }, select: { ts: true } }),
    createMany: (app: App, data: BarRow[]) => insertRows(app.db, "SpotCandle", data),
    upsert: (app: App, row: BarRow) => app.db.spotCandle.upsert({ where: { venue_symbol_ts: { venue: row.venue, symbol: row.symbol, ts: row.ts } }, create: row, update: {} }),
    fetch: (source: MarketDataSource, symbol: string, since: number) => source.fetchSpotCandles(symbol, since),
    backfillDays: SPOT_CANDLE_BACKFILL_DAYS,
  },
} as const;

/**
 * Stores the closed hourly bars newer than the latest stored one and returns the open time of the
 * latest stored bar afterwards (null when there is none). Throws what the venue threw: the caller
 * treats candles as optional data.
 */
export async function backfillCandles(app: App, source: MarketDataSource, symbol: string, kind: keyof typeof TABLES): Promise<number | null> {
  const table = TABLES[kind];
  const latest = await table.latest(app, source.venue, symbol);
  const now = app.clock();
  const since = latest ? latest.ts.getTime() + 1 : now - table.backfillDays * DAY_MS;
  const candles: Candle[] = await table.fetch(source, symbol, since);
  // Only closed bars: one still forming would be stored with a partial volume and never corrected.
  const rows = candles
    .filter((c) => c.ts >= since && c.ts + HOUR_MS <= now)
    .map((c) => ({ venue: source.venue, symbol, ts: new Date(c.ts), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume }));
  if (rows.length > 0) {
    try {
      await table.createMany(app, rows);
    } catch {
      // Another poll stored some of them meanwhile: fall back to one-by-one, keeping what exists.
      for (const row of rows) await table.upsert(app, row);
    }
  }
  const newest = rows.reduce<number | null>((max, r) => Math.max(max ?? 0, r.ts.getTime()), null);
  return newest ?? latest?.ts.getTime() ?? null;
}
