import { TimeWindowStats } from "../core/rolling";
import { DEFAULT_FUNDING_ANOMALY_PARAMS, type FundingAnomalyParams } from "../core/signals/funding-anomaly";
import { DEFAULT_VOLUME_DIVERGENCE_PARAMS, type VolumeDivergenceParams } from "../core/signals/volume-divergence";
import type { Candle, FundingBaselineStats, SymbolMarketView, TimedRate, VenueView } from "../core/signals/types";
import { findSharedFiles } from "./import/shared-files";
import { ReplayVolumeBaseline } from "./volume-baseline-replay";
import {
  loadPanelCandles, loadPanelFunding, MULTI_EXCHANGE_VENUES, readCandleFile, readCsv, settledPrints, sharedDataDir, type Asset, type PanelCoin,
} from "./shared-data";

/**
 * Replays the real history as the aligned cross-venue view the live engine sees, one decision
 * time after another, with no lookahead:
 *
 * - Decision times sit on the 8-hourly funding grid (00/08/16 UTC). The funding stream only
 *   changes when a print lands, and 8 h steps make the 4 h and 8 h forward returns of successive
 *   decisions non-overlapping, so hit counts are (nearly) independent and their confidence
 *   intervals mean what they say. Hourly steps would repeat the same signal 8 times.
 * - Funding: the historical files hold settled prints, not the live predicted rate, so the
 *   "current" rate of a venue is its latest settled print at or before the decision time, and
 *   its history is the prints strictly before that one. A venue whose latest print is older than
 *   two of its intervals (a gap, or outside its span) is left out rather than shown stale.
 *   Print stamps are the settlements they belong to: the loaders snap the venues' late stamps
 *   (Binance: up to 16 ms after the hour) onto the minute and keep one print per settlement
 *   (`settledPrints` in shared-data.ts), so a print settling at a decision time is that
 *   decision's current rate, not the next one's, and no print is seen twice.
 * - Candles: only bars that have closed, open ts + 1 h ≤ decision ts; spot gaps stay gaps.
 * - Order books: none exist before recording starts, so `book`/`previousBook` are null and the
 *   book-based streams report themselves unavailable.
 * - Only Binance has candles; the six other venues have funding only. Their `price` is the
 *   Binance perp close (the view needs one; no venue-specific price history exists) and their
 *   24 h volume is null.
 *
 * Indices move forward with the decision time instead of re-scanning whole arrays each step;
 * only the bounded look-back windows are sliced.
 */
export const HOUR_MS = 3_600_000;
export const HORIZONS = [4, 8, 12] as const;
export type Horizon = (typeof HORIZONS)[number];
export type HorizonKey = `h${Horizon}`;
/** Perp close-to-close return per horizon; null when the data ends before the horizon does. */
export type ForwardReturns = Readonly<Record<HorizonKey, number | null>>;

/** The venue whose perp the backtest trades and whose candles it reads. */
export const TRADING_VENUE = "binanceusdm";

export interface VenueFundingSeries {
  readonly venue: string;
  readonly intervalHours: number;
  readonly prints: readonly TimedRate[];
}

export interface AssetHistory<A extends string = Asset> {
  readonly asset: A;
  /** ccxt unified symbol, as the live bot names it. */
  readonly symbol: string;
  readonly perp: readonly Candle[];
  readonly spot: readonly Candle[];
  /** One series per venue; the trading venue's is first. */
  readonly funding: readonly VenueFundingSeries[];
  /** Whose perp the candles are and whose funding a held trade pays: TRADING_VENUE unless said (recorded data of another venue). */
  readonly tradingVenue?: string;
}

export const tradingVenueOf = (history: { readonly tradingVenue?: string }): string => history.tradingVenue ?? TRADING_VENUE;

/**
 * Every file of one coin under `dir` that the replay reads, found by name pattern (the import's
 * `findSharedFiles`), never by a list of coins: the Binance perp candles are required, everything
 * else (spot candles, other venues' funding) is used when present and simply absent when not.
 * Binance funding comes from the Binance hourly folders when they hold it (the longer file, which
 * agrees with funding_multi_exchange's Binance file on every shared print), else from
 * funding_multi_exchange.
 */
export interface CoinFiles {
  readonly perp: string;
  readonly spot: string | null;
  /** The trading venue's first, then the other venues in MULTI_EXCHANGE_VENUES order. */
  readonly funding: readonly { readonly venue: string; readonly path: string; readonly format: "funding" | "venue-funding" }[];
}

/** Coins with Binance perp candles under `dir` (the ones a replay or backtest can run on), sorted. */
export function availableCoins(dir = sharedDataDir()): string[] {
  return [...new Set(findSharedFiles(dir, { kinds: ["perp"] }).map((f) => f.symbol.split("/")[0] ?? ""))].sort();
}

export function findCoinFiles(coin: string, dir = sharedDataDir()): CoinFiles {
  const files = findSharedFiles(dir, { symbol: `${coin}/USDT:USDT`, venue: TRADING_VENUE, kinds: ["perp", "spot"] });
  const perp = files.find((f) => f.kind === "perp");
  if (perp === undefined) {
    const coins = availableCoins(dir);
    throw new Error(
      `No Binance perp candles for ${coin} under ${dir} (looked for binance_usdm_${coin}USDT_perp_1h_ohlcv.csv). ` +
        (coins.length > 0 ? `Coins available: ${coins.join(", ")}.` : "That folder holds no coin at all: the data folder must sit beside the repository (<repo>/../shared/data)."),
    );
  }
  const order = (venue: string): number => {
    if (venue === TRADING_VENUE) return -1;
    const k = MULTI_EXCHANGE_VENUES.findIndex((v) => v.venue === venue);
    return k < 0 ? MULTI_EXCHANGE_VENUES.length : k;
  };
  const funding = findSharedFiles(dir, { symbol: `${coin}/USDT:USDT`, kinds: ["funding"] })
    // The Binance hourly folders' own funding file wins over funding_multi_exchange's Binance file.
    .filter((f, _, all) => !(f.format === "venue-funding" && f.venue === TRADING_VENUE && all.some((g) => g.format === "funding")))
    .sort((a, b) => order(a.venue) - order(b.venue) || a.venue.localeCompare(b.venue))
    .map((f) => ({ venue: f.venue, path: f.path, format: f.format === "funding" ? ("funding" as const) : ("venue-funding" as const) }));
  return { perp: perp.path, spot: files.find((f) => f.kind === "spot")?.path ?? null, funding };
}

function readFunding(file: CoinFiles["funding"][number]): TimedRate[] {
  return file.format === "funding"
    ? settledPrints(file.path, readCsv(file.path, "ts_ms,time_utc,funding_rate", [0, 2]).map(([ts = 0, rate = 0]) => ({ ts, rate })))
    : settledPrints(file.path, readCsv(file.path, "ts_ms,time_utc,exchange,symbol,funding_rate", [0, 4]).map(([ts = 0, rate = 0]) => ({ ts, rate })));
}

/**
 * Any coin of ../shared/data: Binance perp candles, Binance spot candles if there are any, and
 * funding from every venue that has a file for it (none at all is allowed: the funding stream then
 * reports itself unavailable). A venue's interval is MULTI_EXCHANGE_VENUES' (8 h when unknown).
 */
export function loadAssetHistory<A extends string>(asset: A, dir = sharedDataDir()): AssetHistory<A> {
  const files = findCoinFiles(asset, dir);
  const funding: VenueFundingSeries[] = files.funding.map((f) => ({
    venue: f.venue, intervalHours: MULTI_EXCHANGE_VENUES.find((v) => v.venue === f.venue)?.intervalHours ?? 8, prints: readFunding(f),
  }));
  return { asset, symbol: `${asset}/USDT:USDT`, perp: readCandleFile(files.perp), spot: files.spot === null ? [] : readCandleFile(files.spot), funding };
}

/** A Binance-only history of a `binance_perp_panel_1h/` coin: perp candles and funding, no spot, no other venue. */
export function loadPanelHistory(coin: PanelCoin, dir = sharedDataDir()): AssetHistory<PanelCoin> {
  return {
    asset: coin, symbol: `${coin}/USDT:USDT`, perp: loadPanelCandles(coin, dir), spot: [],
    funding: [{ venue: TRADING_VENUE, intervalHours: 8, prints: loadPanelFunding(coin, dir) }],
  };
}

export interface ReplayOptions {
  /** First decision time (rounded up to the grid). Default: when the perp and its funding both exist. */
  readonly from?: number;
  /** Last decision time, inclusive. Default: the close of the last perp candle. */
  readonly to?: number;
  readonly stepHours?: number;
  /** Candles handed to the streams, hours back from the decision time; also the trading venue's `perpIndex` window. */
  readonly candleLookbackHours?: number;
  /**
   * Hours of candles the view holds when fewer than `candleLookbackHours` will do: the streams'
   * reach (`candleReachHours`), so that no decision time copies a month of bars nobody reads.
   * `perpIndex` keeps the `candleLookbackHours` window. Default: `candleLookbackHours`.
   */
  readonly viewCandleHours?: number;
  /** Funding history handed to the streams, hours back from the current print. */
  readonly fundingLookbackHours?: number;
  /** A venue's latest print older than this many of its intervals counts as missing. */
  readonly staleAfterIntervals?: number;
  /**
   * Keep each venue's funding baseline in a rolling window updated per print (O(1) amortised)
   * and hand it to the stream, instead of letting it re-scan the history each step. The rule
   * must be the stream's; null turns it off. Default: the stream's default rule.
   */
  readonly rollingFundingBaseline?: FundingAnomalyParams | null;
  /**
   * Keep the trading venue's volume-divergence baseline per decision time from window ratios
   * computed once (volume-baseline-replay.ts) and hand it to the stream. Its windows must be the
   * stream's; null turns it off. Default: the stream's default windows.
   */
  readonly volumeBaseline?: VolumeDivergenceParams | null;
}

export interface ReplayStep {
  readonly ts: number;
  readonly view: SymbolMarketView;
  /** Perp close at the decision time (the close of the bar ending then), or null in a gap. */
  readonly entryPrice: number | null;
  readonly forwardReturns: ForwardReturns;
  /** Sum of the trading venue's funding prints settling in (ts, ts + h]: what a long pays per unit notional. */
  readonly fundingOverHorizon: Readonly<Record<HorizonKey, number>>;
  /**
   * The trading venue's closed perp candles of the `candleLookbackHours` window are
   * `history.perp[start, end)` (its `perpCandles` are their tail when `viewCandleHours` is shorter):
   * index-based readers need not search.
   */
  readonly perpIndex: { readonly start: number; readonly end: number };
}

/** Index of the first element with ts > limit, moving forward from `from` (never backward). */
function advance(series: readonly { ts: number }[], from: number, limit: number): number {
  let i = from;
  while (i < series.length && (series[i]?.ts ?? Infinity) <= limit) i++;
  return i;
}

/** Index of the first element with ts ≥ limit, moving forward from `from`. */
function advanceBelow(series: readonly { ts: number }[], from: number, limit: number): number {
  let i = from;
  while (i < series.length && (series[i]?.ts ?? Infinity) < limit) i++;
  return i;
}

/** Position of the element stamped `ts`: the hint first (the series is hourly without gaps), else a binary search. */
function indexAt(series: readonly { ts: number }[], ts: number, hint: number): number {
  if (series[hint]?.ts === ts) return hint;
  let lo = 0;
  let hi = series.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = series[mid]?.ts ?? Infinity;
    if (t === ts) return mid;
    if (t < ts) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The decision grid: multiples of `stepHours` since the epoch (00/08/16 UTC for 8 h). */
export function decisionTimes(from: number, to: number, stepHours: number): number[] {
  const step = stepHours * HOUR_MS;
  const times: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) times.push(t);
  return times;
}

export function defaultReplaySpan(history: AssetHistory<string>): { from: number; to: number } {
  const firstPerp = history.perp[0];
  const lastPerp = history.perp.at(-1);
  if (firstPerp === undefined || lastPerp === undefined) throw new Error(`No perp candles for ${history.asset}.`);
  // With funding: from its first print (the funding stream is the method's core). Without: from the candles.
  const firstPrint = history.funding[0]?.prints[0];
  return { from: Math.max(firstPerp.ts + HOUR_MS, firstPrint?.ts ?? -Infinity), to: lastPerp.ts + HOUR_MS };
}

export function* replay(history: AssetHistory<string>, options: ReplayOptions = {}): Generator<ReplayStep> {
  const span = defaultReplaySpan(history);
  const stepHours = options.stepHours ?? 8;
  const candleLookback = (options.candleLookbackHours ?? 24 * 30) * HOUR_MS;
  const viewLookback = Math.min(candleLookback, (options.viewCandleHours ?? Number.POSITIVE_INFINITY) * HOUR_MS);
  const fundingLookback = (options.fundingLookbackHours ?? 24 * 14) * HOUR_MS;
  const staleAfter = options.staleAfterIntervals ?? 2;
  const { perp, spot } = history;
  const tradingVenue = tradingVenueOf(history);
  const tradingIndex = history.funding.findIndex((f) => f.venue === tradingVenue);
  const trading = history.funding[tradingIndex];
  let perpStart = 0, perpViewStart = 0, perpEnd = 0, spotStart = 0, spotEnd = 0;
  const fundingEnd = history.funding.map(() => 0);
  const fundingStart = history.funding.map(() => 0);
  const rule = options.rollingFundingBaseline === undefined ? DEFAULT_FUNDING_ANOMALY_PARAMS : options.rollingFundingBaseline;
  const rolling = history.funding.map(() => (rule === null ? null : { stats: new TimeWindowStats(rule), added: 0 }));
  const volumeRule = options.volumeBaseline === undefined ? DEFAULT_VOLUME_DIVERGENCE_PARAMS : options.volumeBaseline;
  const volume = volumeRule === null ? null : new ReplayVolumeBaseline(perp, spot, volumeRule);

  for (const ts of decisionTimes(options.from ?? span.from, options.to ?? span.to, stepHours)) {
    // Closed bars: open ts ≤ ts − 1 h.
    perpEnd = advance(perp, perpEnd, ts - HOUR_MS);
    perpStart = advanceBelow(perp, perpStart, ts - candleLookback);
    perpViewStart = advanceBelow(perp, Math.max(perpViewStart, perpStart), ts - viewLookback);
    spotEnd = advance(spot, spotEnd, ts - HOUR_MS);
    spotStart = advanceBelow(spot, spotStart, ts - viewLookback);
    // The price comes from the whole look-back, as when the view held all of it.
    const last = perpEnd > perpStart ? perp[perpEnd - 1] : undefined;
    if (last === undefined) continue; // no price yet: nothing to decide on
    const perpCandles = perp.slice(perpViewStart, perpEnd);
    const price = last.close;
    const entryPrice = last.ts === ts - HOUR_MS ? last.close : null;

    const venues: VenueView[] = [];
    history.funding.forEach((series, k) => {
      const end = (fundingEnd[k] = advance(series.prints, fundingEnd[k] ?? 0, ts));
      const current = series.prints[end - 1];
      if (current === undefined || ts - current.ts > staleAfter * series.intervalHours * HOUR_MS) return;
      const start = (fundingStart[k] = advanceBelow(series.prints, fundingStart[k] ?? 0, current.ts - fundingLookback));
      const isTrading = series.venue === tradingVenue;
      const keeper = rolling[k];
      let baseline: FundingBaselineStats | undefined;
      if (keeper && rule) {
        // Every print before the current one enters the window once, in order.
        for (; keeper.added < end - 1; keeper.added++) {
          const print = series.prints[keeper.added];
          if (print !== undefined) keeper.stats.add(print.ts, print.rate);
        }
        // Field by field, not a spread: spreading the stats into a literal with more fields took the
        // runtime's slow path, ~1 µs for each venue at each decision time.
        const stats = keeper.stats.stats(current.ts);
        baseline = { count: stats.count, mean: stats.mean, std: stats.std, windowHours: rule.windowHours, minSamples: rule.minSamples, maxLookbackHours: rule.maxLookbackHours };
      }
      const history = series.prints.slice(Math.min(start, end - 1), end - 1);
      const view: { -readonly [K in keyof VenueView]: VenueView[K] } = {
        venue: series.venue,
        price,
        funding: baseline ? { current, intervalHours: series.intervalHours, history, baseline } : { current, intervalHours: series.intervalHours, history },
        book: null,
        previousBook: null,
        perpVolume24h: isTrading ? volume24h(perpCandles, ts) : null,
        perpCandles: isTrading ? perpCandles : [],
        spotCandles: isTrading ? spot.slice(spotStart, spotEnd) : [],
      };
      const volumeBaseline = isTrading ? volume?.at(ts, ts - viewLookback) : undefined;
      if (volumeBaseline !== undefined) view.volumeBaseline = volumeBaseline;
      venues.push(view);
    });

    const prints = trading?.prints ?? [];
    const paidFrom = fundingEnd[tradingIndex] ?? 0;
    yield {
      ts,
      view: { symbol: history.symbol, ts, venues },
      entryPrice,
      forwardReturns: { h4: forwardReturn(perp, ts, entryPrice, perpEnd, 4), h8: forwardReturn(perp, ts, entryPrice, perpEnd, 8), h12: forwardReturn(perp, ts, entryPrice, perpEnd, 12) },
      fundingOverHorizon: { h4: fundingPaid(prints, paidFrom, ts, 4), h8: fundingPaid(prints, paidFrom, ts, 8), h12: fundingPaid(prints, paidFrom, ts, 12) },
      perpIndex: { start: perpStart, end: perpEnd },
    };
  }
}

/** Perp close-to-close return from the decision's entry to the close of the bar ending at ts + h (module level: no closure per step). */
function forwardReturn(perp: readonly Candle[], ts: number, entryPrice: number | null, perpEnd: number, h: Horizon): number | null {
  if (entryPrice === null) return null;
  const exit = perp[indexAt(perp, ts + (h - 1) * HOUR_MS, perpEnd - 1 + h)];
  return exit === undefined ? null : exit.close / entryPrice - 1;
}

/** Sum of the prints from index `from` settling by ts + h, oldest first. */
function fundingPaid(prints: readonly TimedRate[], from: number, ts: number, h: Horizon): number {
  let sum = 0;
  for (let i = from; i < prints.length && (prints[i]?.ts ?? Infinity) <= ts + h * HOUR_MS; i++) sum += prints[i]?.rate ?? 0;
  return sum;
}

/** Volume of the last 24 closed bars, when all 24 are there (a partial day would understate it). */
function volume24h(candles: readonly Candle[], ts: number): number | null {
  let sum = 0;
  let count = 0;
  for (let i = candles.length - 1; i >= 0; i--) {
    const c = candles[i];
    if (c === undefined || c.ts < ts - 24 * HOUR_MS) break;
    sum += c.volume;
    count++;
  }
  return count === 24 ? sum : null;
}
