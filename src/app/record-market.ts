import { ExchangeError } from "../exchange/errors";
import type { MarketDataSource } from "../exchange/market-data";
import type { App } from "./context";

export interface PollOutcome {
  readonly recorded: number;
  readonly failures: readonly { venue: string; symbol: string; error: ExchangeError }[];
}

const BACKFILL_DAYS = 7;
/** The volatility regime compares the last day with the 30 before it. */
const CANDLE_BACKFILL_DAYS = 31;
const BOOK_DEPTH = 20;

/**
 * Polls every venue for every symbol and stores what came back. One venue failing does not stop
 * the others; a symbol a venue does not list is skipped quietly after the first warning. The
 * caller (the poll job) decides what to do when everything failed.
 */
export async function recordMarket(app: App, sources: readonly MarketDataSource[]): Promise<PollOutcome> {
  const failures: { venue: string; symbol: string; error: ExchangeError }[] = [];
  let recorded = 0;
  for (const source of sources) {
    for (const symbol of app.settings.symbols) {
      try {
        await recordOne(app, source, symbol);
        recorded += 1;
      } catch (error) {
        const mapped = error instanceof ExchangeError ? error : new ExchangeError("unknown", source.venue, String(error), { cause: error });
        failures.push({ venue: source.venue, symbol, error: mapped });
      }
    }
  }
  return { recorded, failures };
}

async function recordOne(app: App, source: MarketDataSource, symbol: string): Promise<void> {
  const [funding, ticker, book] = await Promise.all([
    source.fetchFunding(symbol),
    source.fetchTicker(symbol),
    source.fetchOrderBook(symbol, BOOK_DEPTH),
  ]);
  await backfillFunding(app, source, symbol);
  await backfillCandles(app, source, symbol);
  const bid = book.bids[0]?.[0] ?? ticker.bid;
  const ask = book.asks[0]?.[0] ?? ticker.ask;
  await app.db.marketSnapshot.create({
    data: {
      venue: source.venue,
      symbol,
      ts: new Date(app.clock()),
      fundingRate: funding.rate,
      nextFundingTs: funding.nextFundingTs === null ? null : new Date(funding.nextFundingTs),
      fundingIntervalHours: funding.intervalHours,
      markPrice: funding.markPrice ?? ticker.last,
      indexPrice: funding.indexPrice,
      lastPrice: ticker.last,
      bid: bid ?? null,
      ask: ask ?? null,
      baseVolume24h: ticker.baseVolume24h,
      quoteVolume24h: ticker.quoteVolume24h,
      bookJson: JSON.stringify({ bids: book.bids, asks: book.asks }),
    },
  });
}

/**
 * Closed hourly candles newer than what we hold. Optional data: a venue that fails here still
 * counts as polled (funding and book came through); the next poll fills the gap.
 */
async function backfillCandles(app: App, source: MarketDataSource, symbol: string): Promise<void> {
  const latest = await app.db.candle.findFirst({ where: { venue: source.venue, symbol }, orderBy: { ts: "desc" } });
  const since = latest ? latest.ts.getTime() + 1 : app.clock() - CANDLE_BACKFILL_DAYS * 86_400_000;
  try {
    // A venue returns one page (≤ 200 bars): a first start catches up over a few polls.
    const candles = await source.fetchPerpCandles(symbol, since);
    const rows = candles
      .filter((c) => c.ts + 3_600_000 <= app.clock())
      .map((c) => ({ venue: source.venue, symbol, ts: new Date(c.ts), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume }));
    try {
      await app.db.candle.createMany({ data: rows });
    } catch {
      // Another poll stored some of them meanwhile: fall back to one-by-one, keeping what exists.
      for (const row of rows) await app.db.candle.upsert({ where: { venue_symbol_ts: { venue: row.venue, symbol, ts: row.ts } }, create: row, update: {} });
    }
  } catch (error) {
    app.logger.warn({ venue: source.venue, symbol, error: error instanceof Error ? error.message : String(error) }, "candles not updated this round");
  }
}

/** Fetches settled funding prints newer than what we hold (a week back on first sight). */
async function backfillFunding(app: App, source: MarketDataSource, symbol: string): Promise<void> {
  const latest = await app.db.fundingPrint.findFirst({ where: { venue: source.venue, symbol }, orderBy: { ts: "desc" } });
  const since = latest ? latest.ts.getTime() + 1 : app.clock() - BACKFILL_DAYS * 86_400_000;
  const prints = await source.fetchFundingHistory(symbol, since);
  const now = app.clock();
  const rows = prints.filter((p) => p.ts <= now).map((p) => ({ venue: source.venue, symbol, ts: new Date(p.ts), rate: p.rate }));
  for (const row of rows) {
    // One by one with upsert: SQLite has no createMany skipDuplicates, and a retried poll must not fail.
    await app.db.fundingPrint.upsert({ where: { venue_symbol_ts: { venue: row.venue, symbol: row.symbol, ts: row.ts } }, create: row, update: {} });
  }
}
