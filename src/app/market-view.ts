import type { Candle, SymbolMarketView, TimedRate, VenueView } from "../core/signals/types";
import { fundingBaseline, type FundingAnomalyParams } from "../core/signals/funding-anomaly";
import { snapSettlement } from "../core/trading/funding";
import type { MarketSnapshot } from "../store/generated/client";
import type { Tx } from "../store/outbox";
import type { App } from "./context";
import { firstAtOrAfter, firstStampAtOrAfter } from "../core/time-order";
import { marketMemory, parseBook, type MemoryPlan, type ParsedBook } from "./market-memory";

export { parseBook } from "./market-memory";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const LOOKBACK_MS = 7 * DAY_MS;
/** A stored print within this of a whole minute is that minute's settlement (`snapSettlement`'s default). */
const SETTLEMENT_TOLERANCE_MS = 1_000;
/**
 * How far back bars are read. Every stream reads at most the volume divergence's week plus its
 * 4-hour window (liquidation walls: a day): 8 days. The trading venue's perp bars go back 32 days,
 * the volatility regime's 30-day baseline (it caps leverage on the venue that trades).
 */
const STREAM_BARS_MS = 8 * DAY_MS;
const REGIME_BARS_MS = 32 * DAY_MS;

/** Everything the view reads of one venue, from the database or from the process's memory. */
interface VenueRows {
  readonly latest: Pick<MarketSnapshot, "fundingRate" | "fundingIntervalHours" | "markPrice" | "lastPrice" | "baseVolume24h"> & { readonly ts: number; readonly book: ParsedBook | null };
  /** Settled prints as stored (the venue's stamps), oldest first. */
  readonly settled: readonly TimedRate[];
  /** Polled readings with a rate stamped in [from, before) — asked for, since the rule may need only its window. */
  readonly polled: (from: number, before: number) => TimedRate[];
  readonly previousBook: { ts: number; book: ParsedBook } | null;
  readonly perpCandles: readonly Candle[];
  readonly spotCandles: readonly Candle[];
}

/**
 * The aligned cross-venue view of one symbol at `now`, from stored data only: the latest snapshot
 * of each venue (not older than MAX_DATA_AGE_MINUTES), with funding history strictly before it and
 * before `now`, and the hourly perp and spot bars that had closed by `now`.
 * Settled prints are stored with the venue's own stamps, a few ms late on Binance and sometimes
 * twice for one settlement: they are compared and counted by the settlement they belong to
 * (snapped onto the minute), once each.
 */
export async function loadMarketView(app: App, symbol: string, now: number): Promise<SymbolMarketView> {
  // One symbol (the inbound webhook, tests) reads the database: loading the whole market memory
  // for it would cost a web process seconds and tens of MB it never uses again.
  const [view] = await loadMarketViewsFromDatabase(app, [symbol], now);
  return view ?? { symbol, ts: now, venues: [] };
}

/**
 * The views of many symbols at once, as the signals cycle needs them: the process's market memory
 * is brought up to date once (the rows written since its last look), then every view is built from
 * it. Whatever it does not hold (a decision time before what it loaded) is read from the database,
 * with the same rules: both paths end in `venueView`.
 */
export async function loadMarketViews(app: App, symbols: readonly string[], now: number, options: ViewOptions = {}): Promise<SymbolMarketView[]> {
  const memory = marketMemory(app.db, memoryPlan(app));
  await memory.refresh(now);
  return Promise.all(symbols.map(async (symbol) => {
    const views = await Promise.all(app.settings.venues.map(async (venue) => {
      const held = fromMemory(app, memory, venue, symbol, now);
      const rows = held === "ask the database" ? await fromDatabase(app, venue, symbol, now) : held;
      return rows === null ? null : venueView(venue, rows, options.fundingRule);
    }));
    return { symbol, ts: now, venues: views.filter((v): v is VenueView => v !== null) };
  }));
}

/**
 * The same views read from the database alone, query by query: what a single-symbol reader uses,
 * the reference the memory is tested against (test/integration/market-memory.test.ts), and what
 * every question the memory cannot answer falls back to.
 */
export async function loadMarketViewsFromDatabase(app: App, symbols: readonly string[], now: number): Promise<SymbolMarketView[]> {
  return Promise.all(symbols.map(async (symbol) => {
    const views = await Promise.all(app.settings.venues.map(async (venue) => {
      const rows = await fromDatabase(app, venue, symbol, now);
      return rows === null ? null : venueView(venue, rows);
    }));
    return { symbol, ts: now, venues: views.filter((v): v is VenueView => v !== null) };
  }));
}

function memoryPlan(app: App): MemoryPlan {
  const reach = LOOKBACK_MS + app.settings.marketData.maxDataAgeMs;
  return { snapshotsMs: reach, printsMs: reach + SETTLEMENT_TOLERANCE_MS, perpBarsMs: REGIME_BARS_MS, perpBarsMsOf: (venue) => barsReach(app, venue), spotBarsMs: STREAM_BARS_MS };
}

const barsReach = (app: App, venue: string): number => (venue === app.settings.tradingVenue ? REGIME_BARS_MS : STREAM_BARS_MS);

export interface ViewOptions {
  /**
   * The funding stream's rule the views are for (the signals cycle passes its engine's): the
   * funding history is then cut to the readings that rule reads — its window, or its last few
   * readings when the window is thin (`fundingBaseline`) — instead of the whole week, which is
   * what the stream would keep of it anyway. Without a rule, the week.
   */
  readonly fundingRule?: FundingAnomalyParams;
}

/** Builds the view from the rows; null `rows` (no fresh snapshot) was handled by the caller. */
function venueView(venue: string, rows: VenueRows, fundingRule?: FundingAnomalyParams): VenueView {
  const { latest } = rows;
  const since = latest.ts - LOOKBACK_MS;
  const settled = settledBetween(rows.settled, since, latest.ts);
  const week = (): TimedRate[] => mergeByTs(settled, rows.polled(since, latest.ts));
  const history = fundingRule === undefined ? week() : ruleSample(settled, rows.polled, week, latest.ts, fundingRule);
  return {
    venue,
    price: latest.markPrice ?? latest.lastPrice ?? 0,
    funding: latest.fundingRate === null ? null : {
      current: { ts: latest.ts, rate: latest.fundingRate },
      intervalHours: latest.fundingIntervalHours ?? 8,
      history,
    },
    book: latest.book === null ? null : { ts: latest.ts, ...latest.book },
    previousBook: rows.previousBook === null ? null : { ts: rows.previousBook.ts, ...rows.previousBook.book },
    perpVolume24h: latest.baseVolume24h,
    perpCandles: rows.perpCandles,
    spotCandles: rows.spotCandles,
  };
}

/** The window of settled prints read: from a tolerance before `since`, up to the latest (widened by the tolerance) but never to `now`. */
const settledWindow = (latestTs: number, now: number): { from: number; before: number } => ({
  from: latestTs - LOOKBACK_MS - SETTLEMENT_TOLERANCE_MS,
  before: Math.min(latestTs + SETTLEMENT_TOLERANCE_MS, now),
});

/** The rows from memory (null: no fresh snapshot), or word that it does not hold all of them. */
function fromMemory(app: App, memory: ReturnType<typeof marketMemory>, venue: string, symbol: string, now: number): VenueRows | null | "ask the database" {
  const ask = "ask the database";
  const reach = now - app.settings.marketData.maxDataAgeMs - LOOKBACK_MS;
  const snapshots = memory.pair(venue, symbol, "snapshots", reach);
  const prints = memory.pair(venue, symbol, "prints", reach - SETTLEMENT_TOLERANCE_MS);
  const perp = memory.pair(venue, symbol, "perp", now - barsReach(app, venue));
  const spot = memory.pair(venue, symbol, "spot", now - STREAM_BARS_MS);
  if (snapshots === null || prints === null || perp === null || spot === null) return ask;
  const columns = snapshots.snapshots;
  const at = firstStampAtOrAfter(columns.ts, now + 1) - 1;
  const latestTs = columns.ts[at];
  // Everything stamped since the reach is held, so no snapshot here means none fresh.
  if (latestTs === undefined || !isFresh(app, latestTs, now)) return null;
  const latest = columns.heads.get(columns.id[at] ?? Number.NaN);
  if (latest === undefined) return ask; // not among the newest (a decision time in the past)
  let before = at - 1;
  while (before >= 0 && (columns.hasBook[before] !== true || (columns.ts[before] ?? 0) >= latest.ts)) before -= 1;
  const previous = before < 0 ? undefined : columns.heads.get(columns.id[before] ?? Number.NaN);
  if (previous === undefined) return ask; // an older one may be stored, or it is no longer among the newest
  const previousBook = previous.book === null ? null : { ts: previous.ts, book: previous.book };
  const since = latest.ts - LOOKBACK_MS;
  const window = settledWindow(latest.ts, now);
  return {
    latest,
    settled: between(prints.prints, window.from, window.before),
    polled: (from, before) => columns.polledBetween(Math.max(from, since), Math.min(before, latest.ts)),
    previousBook,
    perpCandles: closedBars(perp.perp, now, barsReach(app, venue)),
    spotCandles: closedBars(spot.spot, now, STREAM_BARS_MS),
  };
}

/** Items stamped in [from, before), oldest first (a slice: the items themselves are shared, never changed). */
function between<T extends { readonly ts: number }>(items: readonly T[], from: number, before: number): T[] {
  return items.slice(firstAtOrAfter(items, from), firstAtOrAfter(items, before));
}

/** Hourly bars that had closed by `now` (open time + 1 h ≤ now: nothing stamped at or after `now`), in reach. */
function closedBars(bars: readonly Candle[], now: number, reach: number): Candle[] {
  return bars.slice(firstAtOrAfter(bars, now - reach), firstAtOrAfter(bars, now - HOUR_MS + 1));
}

async function fromDatabase(app: App, venue: string, symbol: string, now: number): Promise<VenueRows | null> {
  const latest = await latestSnapshot(app, venue, symbol, now);
  if (latest === null || !isFresh(app, latest.ts.getTime(), now)) return null;
  const latestTs = latest.ts.getTime();
  const window = settledWindow(latestTs, now);
  const [settled, polled, previous, perpCandles, spotCandles] = await Promise.all([
    app.db.fundingPrint.findMany({ where: { venue, symbol, ts: { gte: new Date(window.from), lt: new Date(window.before) } }, orderBy: { ts: "asc" } }),
    app.db.marketSnapshot.findMany({
      where: { venue, symbol, ts: { gte: new Date(latestTs - LOOKBACK_MS), lt: latest.ts }, fundingRate: { not: null } },
      orderBy: { ts: "asc" }, select: { ts: true, fundingRate: true },
    }),
    app.db.marketSnapshot.findFirst({ where: { venue, symbol, ts: { lt: latest.ts }, bookJson: { not: null } }, orderBy: { ts: "desc" } }),
    storedBars(app, "perp", venue, symbol, now, barsReach(app, venue)),
    storedBars(app, "spot", venue, symbol, now, STREAM_BARS_MS),
  ]);
  const previousBook = previous === null ? null : parseBook(previous.bookJson);
  const polledRates = polled.map((p) => ({ ts: p.ts.getTime(), rate: p.fundingRate ?? 0 }));
  return {
    latest: { ...latest, ts: latestTs, book: parseBook(latest.bookJson) },
    settled: settled.map((p) => ({ ts: p.ts.getTime(), rate: p.rate })),
    polled: (from, before) => between(polledRates, from, before),
    previousBook: previous === null || previousBook === null ? null : { ts: previous.ts.getTime(), book: previousBook },
    perpCandles,
    spotCandles,
  };
}

/**
 * `fundingBaseline(mergeByTs(settled, polled), currentTs, rule)` without merging the whole week:
 * the window's tails of both lists are merged; only a thin window (fewer readings than the rule
 * needs) falls back to the whole merge.
 */
function ruleSample(settled: readonly TimedRate[], polled: VenueRows["polled"], week: () => TimedRate[], currentTs: number, rule: FundingAnomalyParams): TimedRate[] {
  const windowStart = Math.max(currentTs - rule.windowHours * HOUR_MS, currentTs - LOOKBACK_MS);
  const inWindow = mergeByTs(settled.slice(firstAtOrAfter(settled, windowStart)), polled(windowStart, currentTs));
  const sample = fundingBaseline(inWindow, currentTs, rule);
  return sample.length >= rule.minSamples ? sample : fundingBaseline(week(), currentTs, rule);
}

/** Stored prints by settlement: snapped, in [from, before), the first stored print of each settlement only. */
function settledBetween(rows: readonly TimedRate[], from: number, before: number): TimedRate[] {
  const bySettlement = new Map<number, TimedRate>();
  for (const row of rows) {
    const ts = snapSettlement(row.ts, SETTLEMENT_TOLERANCE_MS);
    if (ts >= from && ts < before && !bySettlement.has(ts)) bySettlement.set(ts, { ts, rate: row.rate });
  }
  return [...bySettlement.values()];
}

/**
 * Two time-ordered lists as one, `first` before `second` on equal stamps (a stable sort of their
 * concatenation, in linear time: ~700 readings per venue and symbol each cycle).
 */
function mergeByTs(first: readonly TimedRate[], second: readonly TimedRate[]): TimedRate[] {
  const out: TimedRate[] = new Array<TimedRate>(first.length + second.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < first.length || j < second.length) {
    const a = first[i];
    const b = second[j];
    if (a !== undefined && (b === undefined || a.ts <= b.ts)) {
      out[k++] = a;
      i += 1;
    } else if (b !== undefined) {
      out[k++] = b;
      j += 1;
    }
  }
  // Snapping keeps time order, so `first` is ordered; should it ever not be, sort as before.
  for (let n = 1; n < out.length; n++) if ((out[n - 1]?.ts ?? 0) > (out[n]?.ts ?? 0)) return [...first, ...second].sort((x, y) => x.ts - y.ts);
  return out;
}

/** Market data older than MAX_DATA_AGE_MINUTES (default two poll intervals) is stale: signals, proposals and fills wait for the next poll. */
export function isFresh(app: App, ts: number, now: number): boolean {
  return now - ts <= app.settings.marketData.maxDataAgeMs;
}

export function latestSnapshot(app: App, venue: string, symbol: string, now: number, tx: Tx = app.db): Promise<MarketSnapshot | null> {
  return tx.marketSnapshot.findFirst({ where: { venue, symbol, ts: { lte: new Date(now) } }, orderBy: { ts: "desc" } });
}

async function storedBars(app: App, kind: "perp" | "spot", venue: string, symbol: string, now: number, reach: number): Promise<Candle[]> {
  const where = { venue, symbol, ts: { gte: new Date(now - reach), lte: new Date(now - HOUR_MS) } };
  const rows = kind === "perp"
    ? await app.db.candle.findMany({ where, orderBy: { ts: "asc" } })
    : await app.db.spotCandle.findMany({ where, orderBy: { ts: "asc" } });
  return rows.map((r) => ({ ts: r.ts.getTime(), open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume }));
}
