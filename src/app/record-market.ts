import { ExchangeError } from "../exchange/errors";
import type { MarketDataSource } from "../exchange/market-data";
import { endCooldown, openCooldown, readCooldowns, type VenueCooldown } from "./venue-cooldown";
import type { App } from "./context";

export interface PollOutcome {
  readonly recorded: number;
  readonly failures: readonly { venue: string; symbol: string; error: ExchangeError }[];
  /** Venues banned or asked to pause: skipped without a request, or stopped at their first such answer. */
  readonly cooling: readonly VenueCooldown[];
}

const BACKFILL_DAYS = 7;
/** The volatility regime compares the last day with the 30 before it. */
const CANDLE_BACKFILL_DAYS = 31;
const BOOK_DEPTH = 20;

/**
 * Polls every venue for every symbol and stores what came back. One venue failing does not stop
 * the others; a symbol a venue does not list is skipped quietly after the first warning. A venue
 * that banned us or asked for a pause is skipped without a request until then (venue-cooldown.ts).
 * The caller (the poll job) decides what to do when everything failed.
 */
export async function recordMarket(app: App, sources: readonly MarketDataSource[]): Promise<PollOutcome> {
  const failures: { venue: string; symbol: string; error: ExchangeError }[] = [];
  const cooling: VenueCooldown[] = [];
  let recorded = 0;
  const known = await readCooldowns(app, sources.map((s) => s.venue));
  for (const source of sources) {
    const held = known.get(source.venue);
    if (held !== undefined && held.until > app.clock()) {
      app.logger.debug({ venue: source.venue, until: new Date(held.until).toISOString() }, "venue cooling down; not polled this round");
      cooling.push(held);
      continue;
    }
    if (held !== undefined) await endCooldown(app, held);
    for (const symbol of app.settings.symbols) {
      let paused: VenueCooldown | null = null;
      try {
        const candleError = await recordOne(app, source, symbol);
        recorded += 1;
        if (candleError !== null) paused = await openCooldown(app, candleError);
      } catch (error) {
        const mapped = error instanceof ExchangeError ? error : new ExchangeError("unknown", source.venue, String(error), { cause: error });
        failures.push({ venue: source.venue, symbol, error: mapped });
        paused = await openCooldown(app, mapped);
      }
      if (paused !== null) {
        cooling.push(paused);
        break; // the venue's other symbols wait too: every request now would prolong a ban
      }
    }
  }
  return { recorded, failures, cooling };
}

/** Stores one snapshot; returns the candle backfill's error when it failed (optional data). */
async function recordOne(app: App, source: MarketDataSource, symbol: string): Promise<ExchangeError | null> {
  // allSettled, not all: no request of this venue may still be under way when a ban is recorded.
  const [fundingR, tickerR, bookR] = await Promise.allSettled([
    source.fetchFunding(symbol),
    source.fetchTicker(symbol),
    source.fetchOrderBook(symbol, BOOK_DEPTH),
  ]);
  if (fundingR.status === "rejected") throw fundingR.reason;
  if (tickerR.status === "rejected") throw tickerR.reason;
  if (bookR.status === "rejected") throw bookR.reason;
  const [funding, ticker, book] = [fundingR.value, tickerR.value, bookR.value];
  await backfillFunding(app, source, symbol);
  const candleError = await backfillCandles(app, source, symbol);
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
  return candleError;
}

/**
 * Closed hourly candles newer than what we hold. Optional data: a venue that fails here still
 * counts as polled (funding and book came through); the next poll fills the gap.
 */
async function backfillCandles(app: App, source: MarketDataSource, symbol: string): Promise<ExchangeError | null> {
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
    return null;
  } catch (error) {
    app.logger.warn({ venue: source.venue, symbol, error: error instanceof Error ? error.message : String(error) }, "candles not updated this round");
    return error instanceof ExchangeError ? error : null;
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
