import { summarizeBook } from "../core/market/book-summary";
import { ExchangeError } from "../exchange/errors";
import type { BulkTicker, MarketDataSource, OpenInterestSnapshot, SymbolListing, TickerSnapshot } from "../exchange/market-data";
import { checkVenueSymbols, knownListing } from "./check-symbols";
import type { App } from "./context";
import { writeVenueHealth, type MarketStream, type StreamHealth, type SymbolHealth } from "./market-health";
import { backfillCandles, backfillFunding } from "./record-market-streams";
import { endCooldown, openCooldown, readCooldowns, type VenueCooldown } from "./venue-cooldown";

/** Optional data that did not come this cycle, named: which venue, symbol and stream, and why. */
export interface MissingData {
  readonly venue: string;
  readonly symbol: string;
  readonly stream: MarketStream;
  readonly reason: string;
  /** True when the venue does not offer it at all (no spot pair, no open interest): not worth a warning each cycle. */
  readonly structural: boolean;
}

export interface PollOutcome {
  readonly recorded: number;
  readonly failures: readonly { venue: string; symbol: string; error: ExchangeError }[];
  /** Venues banned or asked to pause: skipped without a request, or stopped at their first such answer. */
  readonly cooling: readonly VenueCooldown[];
  readonly missing: readonly MissingData[];
  /** Pairs skipped because the venue does not list the perp (reported once, when found). */
  readonly unlisted: readonly { venue: string; symbol: string }[];
}

interface VenueOutcome {
  recorded: number;
  failures: { venue: string; symbol: string; error: ExchangeError }[];
  cooling: VenueCooldown | null;
  missing: MissingData[];
  unlisted: { venue: string; symbol: string }[];
}

/**
 * Polls every venue for every symbol and stores what came back: the snapshot (funding, prices,
 * perp and spot volumes, open interest, the book), a book summary, an open-interest print, and the
 * funding prints and hourly perp and spot bars newer than those held. Venues are polled in
 * parallel (each has its own rate limiter), symbols of one venue one after another; where the
 * source has bulk ticker requests, a venue's perp and spot tickers come first, one request each for
 * all its symbols (prefetchTickers), and only what has no bulk form is asked per symbol. Funding,
 * ticker and book are required for a symbol; spot, open interest and candles are optional: their
 * failure is named in `missing` and in the venue's health record, never fails the poll. A symbol a
 * venue does not list is skipped there. A venue that banned us or asked for a pause is skipped
 * without a request until then (venue-cooldown.ts). The caller (the poll job) decides what to do
 * when everything failed.
 */
export async function recordMarket(app: App, sources: readonly MarketDataSource[]): Promise<PollOutcome> {
  const known = await readCooldowns(app, sources.map((s) => s.venue));
  const outcomes = await Promise.all(sources.map((source) => recordVenue(app, source, known.get(source.venue))));
  return {
    recorded: outcomes.reduce((sum, o) => sum + o.recorded, 0),
    failures: outcomes.flatMap((o) => o.failures),
    cooling: outcomes.flatMap((o) => (o.cooling === null ? [] : [o.cooling])),
    missing: outcomes.flatMap((o) => o.missing),
    unlisted: outcomes.flatMap((o) => o.unlisted),
  };
}

async function recordVenue(app: App, source: MarketDataSource, held: VenueCooldown | undefined): Promise<VenueOutcome> {
  const outcome: VenueOutcome = { recorded: 0, failures: [], cooling: null, missing: [], unlisted: [] };
  const now = app.clock();
  if (held !== undefined && held.until > now) {
    app.logger.debug({ venue: source.venue, until: new Date(held.until).toISOString() }, "venue cooling down; not polled this round");
    return { ...outcome, cooling: held };
  }
  if (held !== undefined) await endCooldown(app, held);
  // Pairs not yet checked (a failed start check, a new process) are asked now; unanswered ones are polled anyway.
  const check = await checkVenueSymbols(app, source, app.settings.symbols);
  if (check.cooling !== null) return { ...outcome, cooling: check.cooling };
  const symbols: Record<string, SymbolHealth> = {};
  const polled = app.settings.symbols.filter((symbol) => knownListing(app, source.venue, symbol)?.perp !== false);
  const bulk = await prefetchTickers(app, source, polled);
  if (bulk.cooling !== null) return { ...outcome, cooling: bulk.cooling };
  for (const symbol of app.settings.symbols) {
    const listing = knownListing(app, source.venue, symbol);
    if (listing?.perp === false) {
      outcome.unlisted.push({ venue: source.venue, symbol });
      symbols[symbol] = { status: "unlisted" };
      continue;
    }
    let paused: VenueCooldown | null = null;
    try {
      const recorded = await recordOne(app, source, symbol, listing, { ticker: bulk.perp?.get(symbol), spot: bulk.spot?.get(symbol) });
      outcome.recorded += 1;
      outcome.missing.push(...recorded.missing);
      symbols[symbol] = { status: "recorded", streams: recorded.streams };
      if (recorded.pauseError !== null) paused = await openCooldown(app, recorded.pauseError);
    } catch (error) {
      const mapped = error instanceof ExchangeError ? error : new ExchangeError("unknown", source.venue, String(error), { cause: error });
      outcome.failures.push({ venue: source.venue, symbol, error: mapped });
      symbols[symbol] = { status: "failed", reason: mapped.message };
      paused = await openCooldown(app, mapped);
    }
    if (paused !== null) {
      outcome.cooling = paused;
      break; // the venue's other symbols wait too: every request now would prolong a ban
    }
  }
  await writeVenueHealth(app, { venue: source.venue, ts: now, symbols });
  return outcome;
}

/** A promise even when the call throws before returning one (a source missing a method, a bad argument). */
const attempt = <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return call();
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
};

/** The bulk answer's part for one symbol as the single request's promise; the single request itself when the bulk did not hold it. */
function fromBulk<T>(hit: T | ExchangeError | undefined, single: () => Promise<T>): Promise<T> {
  if (hit === undefined) return attempt(single);
  return hit instanceof ExchangeError ? Promise.reject(hit) : Promise.resolve(hit);
}

interface PrefetchedTickers {
  perp: ReadonlyMap<string, BulkTicker> | null;
  spot: ReadonlyMap<string, BulkTicker | null> | null;
  /** The venue asked for a pause or banned us on a bulk request: nothing more is asked this cycle. */
  cooling: VenueCooldown | null;
}

/**
 * The venue's perp and spot tickers for all `symbols`, one bulk request each, where the source
 * has them (null: ask per symbol). A bulk request that fails is asked per symbol this cycle; a ban
 * or a requested pause on it cools the venue down (once, both requests having settled) and the
 * venue is skipped like one banned during its symbol check. A symbol missing from a bulk answer is
 * asked singly (recordOne), so a venue's gap costs one request, not the symbol's data.
 */
async function prefetchTickers(app: App, source: MarketDataSource, symbols: readonly string[]): Promise<PrefetchedTickers> {
  const wantSpot = symbols.filter((symbol) => knownListing(app, source.venue, symbol)?.spotSymbol !== null);
  const [perpR, spotR] = await Promise.allSettled([
    source.fetchTickers === undefined || symbols.length === 0 ? Promise.resolve(null) : attempt(() => source.fetchTickers?.(symbols) ?? Promise.resolve(null)),
    source.fetchSpotTickers === undefined || wantSpot.length === 0 ? Promise.resolve(null) : attempt(() => source.fetchSpotTickers?.(wantSpot) ?? Promise.resolve(null)),
  ]);
  for (const [kind, result] of [["perp", perpR], ["spot", spotR]] as const) {
    if (result.status === "fulfilled") continue;
    const error = result.reason instanceof ExchangeError ? result.reason : new ExchangeError("unknown", source.venue, reasonOf(result.reason), { cause: result.reason });
    const cooling = await openCooldown(app, error);
    if (cooling !== null) return { perp: null, spot: null, cooling };
    app.logger.warn({ venue: source.venue, kind, error: error.message }, `bulk ${kind} tickers failed; asking per symbol this cycle`);
  }
  return {
    perp: perpR.status === "fulfilled" ? perpR.value : null,
    spot: spotR.status === "fulfilled" ? spotR.value : null,
    cooling: null,
  };
}

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** An optional stream's error that asks the venue to be left alone (ban, requested pause). */
const asksForPause = (error: unknown): error is ExchangeError =>
  error instanceof ExchangeError && (error.kind === "banned" || (error.kind === "rate-limited" && error.retryAfterMs !== null));

interface RecordedSymbol {
  streams: Partial<Record<MarketStream, StreamHealth>>;
  missing: MissingData[];
  /** An optional stream's ban or pause: recorded, then the venue cools down. */
  pauseError: ExchangeError | null;
}

/**
 * Stores one symbol's snapshot, book summary and open interest, then the backfills. Throws when a
 * required part failed. `bulk`: its part of the venue's bulk ticker answers, where they held it.
 */
async function recordOne(
  app: App, source: MarketDataSource, symbol: string, listing: SymbolListing | undefined, bulk: { ticker: BulkTicker | undefined; spot: BulkTicker | null | undefined },
): Promise<RecordedSymbol> {
  const { venue } = source;
  const wantSpot = listing === undefined || listing.spotSymbol !== null;
  const wantOpenInterest = listing === undefined || listing.openInterest;
  // allSettled, not all: no request of this venue may still be under way when a ban is recorded.
  const [fundingR, tickerR, bookR, spotR, oiR] = await Promise.allSettled([
    attempt(() => source.fetchFunding(symbol)),
    fromBulk(bulk.ticker, () => source.fetchTicker(symbol)),
    attempt(() => source.fetchOrderBook(symbol, app.settings.marketData.bookDepth)),
    wantSpot ? fromBulk(bulk.spot, () => source.fetchSpotTicker(symbol)) : Promise.resolve(null),
    wantOpenInterest ? attempt(() => source.fetchOpenInterest(symbol)) : Promise.resolve(null),
  ]);
  if (fundingR.status === "rejected") throw fundingR.reason;
  if (tickerR.status === "rejected") throw tickerR.reason;
  if (bookR.status === "rejected") throw bookR.reason;
  const [funding, ticker, book] = [fundingR.value, tickerR.value, bookR.value];
  const result: RecordedSymbol = { streams: {}, missing: [], pauseError: null };
  const miss = (stream: MarketStream, reason: string, structural = false): void => {
    result.streams[stream] = { missing: reason };
    result.missing.push({ venue, symbol, stream, reason, structural });
  };
  const failed = (stream: MarketStream, error: unknown): void => {
    miss(stream, reasonOf(error));
    if (result.pauseError === null && asksForPause(error)) result.pauseError = error;
  };

  let spot: TickerSnapshot | null = null;
  if (!wantSpot) miss("spot", "no spot pair listed", true);
  else if (spotR.status === "rejected") failed("spot", spotR.reason);
  else if (spotR.value === null) miss("spot", "no spot pair listed", true);
  else spot = spotR.value;
  let openInterest: OpenInterestSnapshot | null = null;
  if (!wantOpenInterest) miss("openInterest", "not offered", true);
  else if (oiR.status === "rejected") failed("openInterest", oiR.reason);
  else if (oiR.value === null) miss("openInterest", "not offered", true);
  else openInterest = oiR.value;

  await backfillFunding(app, source, symbol);
  // Sequential, and none after a ban or pause: each request then would prolong it.
  for (const [stream, kind] of [["perpCandles", "perp"], ["spotCandles", "spot"]] as const) {
    if (kind === "spot" && spot === null && (!wantSpot || spotR.status === "fulfilled")) {
      miss(stream, "no spot pair listed", true);
      continue;
    }
    if (result.pauseError !== null) {
      miss(stream, "not asked: the venue asked for a pause");
      continue;
    }
    try {
      const latest = await backfillCandles(app, source, symbol, kind);
      if (latest === null) miss(stream, "no closed bars returned");
      else result.streams[stream] = { ts: latest };
    } catch (error) {
      failed(stream, error);
    }
  }

  const ts = new Date(app.clock());
  const summary = summarizeBook(book.bids, book.asks);
  result.streams.funding = { ts: funding.ts };
  if (summary === null) miss("book", "empty book");
  else result.streams.book = { ts: book.ts };
  if (ticker.baseVolume24h === null && ticker.quoteVolume24h === null) miss("perpVolume", "the ticker has no 24 h volume");
  else result.streams.perpVolume = { ts: ticker.ts };
  if (spot !== null) result.streams.spot = { ts: spot.ts };
  if (openInterest !== null) result.streams.openInterest = { ts: openInterest.ts };

  await app.db.marketSnapshot.create({
    data: {
      venue, symbol, ts,
      fundingRate: funding.rate,
      nextFundingTs: funding.nextFundingTs === null ? null : new Date(funding.nextFundingTs),
      fundingIntervalHours: funding.intervalHours,
      markPrice: funding.markPrice ?? ticker.last,
      indexPrice: funding.indexPrice,
      lastPrice: ticker.last,
      bid: summary?.bestBid ?? ticker.bid,
      ask: summary?.bestAsk ?? ticker.ask,
      baseVolume24h: ticker.baseVolume24h,
      quoteVolume24h: ticker.quoteVolume24h,
      bookJson: JSON.stringify({ bids: book.bids, asks: book.asks }),
      spotLastPrice: spot?.last ?? null,
      spotBaseVolume24h: spot?.baseVolume24h ?? null,
      spotQuoteVolume24h: spot?.quoteVolume24h ?? null,
      openInterest: openInterest?.amount ?? null,
      openInterestValue: openInterest?.value ?? null,
    },
  });
  if (summary !== null) {
    // Stamped like its snapshot, so a backtest joins the two; upsert: a retried poll at the same time stores it once.
    const row = {
      venue, symbol, ts, bestBid: summary.bestBid, bestAsk: summary.bestAsk, bidSize: summary.bidSize, askSize: summary.askSize,
      depthJson: JSON.stringify(summary.depth), wallsJson: JSON.stringify(summary.walls),
    };
    await app.db.bookSummary.upsert({ where: { venue_symbol_ts: { venue, symbol, ts } }, create: row, update: {} });
  }
  if (openInterest !== null) {
    // The venue's own stamp: two polls inside one venue update store one print.
    const oiTs = new Date(openInterest.ts);
    const row = { venue, symbol, ts: oiTs, amount: openInterest.amount, value: openInterest.value };
    await app.db.openInterestPrint.upsert({ where: { venue_symbol_ts: { venue, symbol, ts: oiTs } }, create: row, update: {} });
  }
  return result;
}
