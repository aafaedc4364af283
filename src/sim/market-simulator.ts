import { gaussian, seededRandom } from "../core/random";
import type { Candle } from "../core/signals/types";
import type { FundingPrint, FundingSnapshot, MarketDataSource, OrderBookSnapshot, TickerSnapshot } from "../exchange/market-data";

/**
 * An offline market for the demo and for tests: a random-walk price with hourly volatility
 * like MNT's, funding that wanders around 0.01% per 8 h and, once, a crowded-long episode (funding
 * spikes, asks pile up, price edges up and then unwinds). Deterministic per seed; every value is a function
 * of time, so any job may ask about any moment in any order.
 */
export interface SimulatorOptions {
  readonly seed: number;
  readonly start: number;
  readonly startPrice: number;
  /** Hours after `start` when the crowded-long episode begins. */
  readonly episodeStartHours: number;
  readonly episodeHours: number;
  readonly venues: readonly string[];
}

const STEP_MS = 15 * 60_000;
const HOUR_MS = 3_600_000;
const FUNDING_INTERVAL_HOURS = 8;

export class MarketSimulator {
  private readonly prices: number[] = [];
  private readonly fundings: number[] = [];
  private readonly random: () => number;
  /** History reaches 32 days before `start`, so every baseline (funding, volatility) exists from the first poll. */
  private readonly origin: number;

  constructor(readonly options: SimulatorOptions) {
    this.random = seededRandom(options.seed);
    this.origin = options.start - 32 * 24 * HOUR_MS;
  }

  private stepIndex(ts: number): number {
    return Math.max(0, Math.floor((ts - this.origin) / STEP_MS));
  }

  private extendTo(index: number): void {
    while (this.prices.length <= index) {
      const i = this.prices.length;
      const hoursFromStart = (this.origin + i * STEP_MS - this.options.start) / HOUR_MS;
      const inEpisode = hoursFromStart >= this.options.episodeStartHours && hoursFromStart < this.options.episodeStartHours + this.options.episodeHours;
      const afterEpisode = hoursFromStart >= this.options.episodeStartHours + this.options.episodeHours && hoursFromStart < this.options.episodeStartHours + 3 * this.options.episodeHours;
      const previousPrice = this.prices[i - 1] ?? this.options.startPrice;
      const previousFunding = this.fundings[i - 1] ?? 0.0001;
      // 0.2% per 15 min (about 4% a day, like MNT); crowded longs push price up, their unwinding pulls it down.
      // Crowded longs lift price a little, then their unwinding (from 60% of the episode on) drags it down.
      const unwinding = (inEpisode && hoursFromStart >= this.options.episodeStartHours + 0.6 * this.options.episodeHours) || afterEpisode;
      const drift = unwinding ? -0.0012 : inEpisode ? 0.0004 : 0;
      this.prices.push(previousPrice * Math.exp(drift + 0.002 * gaussian(this.random)));
      // Funding mean-reverts to 0.01%; in the episode it is pulled towards 0.08%.
      const target = inEpisode ? 0.0008 : 0.0001;
      this.fundings.push(previousFunding + 0.15 * (target - previousFunding) + 0.000006 * gaussian(this.random));
    }
  }

  priceAt(ts: number, venue: string): number {
    const i = this.stepIndex(ts);
    this.extendTo(i);
    // A steady few-bp basis between venues, as between real perp venues.
    return (this.prices[i] ?? this.options.startPrice) * (1 + 0.0002 * this.options.venues.indexOf(venue));
  }

  fundingAt(ts: number, venue: string): number {
    const i = this.stepIndex(ts);
    this.extendTo(i);
    return (this.fundings[i] ?? 0.0001) + 0.000002 * this.options.venues.indexOf(venue);
  }

  /** Whether `ts` falls in the crowded-long episode, when sellers gather above the market. */
  inEpisode(ts: number): boolean {
    const hours = (ts - this.options.start) / HOUR_MS;
    return hours >= this.options.episodeStartHours && hours < this.options.episodeStartHours + this.options.episodeHours;
  }

  /** A MarketDataSource for one venue, reading time from `clock`. */
  source(venue: string, clock: () => number): MarketDataSource {
    return new SimulatedVenue(this, venue, clock);
  }
}

class SimulatedVenue implements MarketDataSource {
  constructor(private readonly sim: MarketSimulator, readonly venue: string, private readonly clock: () => number) {}

  fetchFunding(symbol: string): Promise<FundingSnapshot> {
    const now = this.clock();
    const next = Math.floor(now / (FUNDING_INTERVAL_HOURS * HOUR_MS)) * FUNDING_INTERVAL_HOURS * HOUR_MS + FUNDING_INTERVAL_HOURS * HOUR_MS;
    const mark = this.sim.priceAt(now, this.venue);
    return Promise.resolve({
      venue: this.venue, symbol, ts: now, rate: this.sim.fundingAt(now, this.venue), nextFundingTs: next,
      intervalHours: FUNDING_INTERVAL_HOURS, markPrice: mark, indexPrice: mark * 0.9998,
    });
  }

  fetchFundingHistory(symbol: string, sinceMs: number): Promise<FundingPrint[]> {
    const now = this.clock();
    const interval = FUNDING_INTERVAL_HOURS * HOUR_MS;
    const prints: FundingPrint[] = [];
    for (let t = Math.ceil(sinceMs / interval) * interval; t <= now; t += interval) {
      prints.push({ venue: this.venue, symbol, ts: t, rate: this.sim.fundingAt(t - 1, this.venue) });
    }
    return Promise.resolve(prints);
  }

  fetchOrderBook(symbol: string, depth: number): Promise<OrderBookSnapshot> {
    const now = this.clock();
    const mid = this.sim.priceAt(now, this.venue);
    const tick = mid * 0.0001;
    const level = (i: number): number => 2_000 * (1 + ((i * 7919) % 13) / 6);
    // While longs are crowded, sellers stack the asks and one large offer sits just above: the
    // book turns one-sided, as it tends to before such a run unwinds.
    const episode = this.sim.inEpisode(now);
    const askSize = (i: number): number => level(i + 3) * (episode ? 2.5 : 1) * (episode && i === 5 ? 40 : 1);
    return Promise.resolve({
      venue: this.venue, symbol, ts: now,
      bids: Array.from({ length: depth }, (_, i) => [mid - tick * (i + 0.5), level(i)] as const),
      asks: Array.from({ length: depth }, (_, i) => [mid + tick * (i + 0.5), askSize(i)] as const),
    });
  }

  fetchTicker(symbol: string): Promise<TickerSnapshot> {
    const now = this.clock();
    const last = this.sim.priceAt(now, this.venue);
    return Promise.resolve({
      venue: this.venue, symbol, ts: now, last, bid: last * 0.99995, ask: last * 1.00005, baseVolume24h: 25_000_000, quoteVolume24h: 25_000_000 * last,
    });
  }

  fetchPerpCandles(_symbol: string, sinceMs: number): Promise<Candle[]> {
    const now = this.clock();
    const candles: Candle[] = [];
    for (let t = Math.ceil(sinceMs / HOUR_MS) * HOUR_MS; t + HOUR_MS <= now; t += HOUR_MS) {
      // Four 15-minute steps make an hour; the walk's prices at those steps give the bar.
      const prices = [0, 1, 2, 3, 4].map((q) => this.sim.priceAt(t + q * 15 * 60_000 - 1, this.venue));
      candles.push({
        ts: t, open: prices[0] ?? 0, high: Math.max(...prices), low: Math.min(...prices), close: prices[4] ?? 0,
        volume: 1_000_000 * (1 + Math.abs((prices[4] ?? 0) - (prices[0] ?? 0)) / (prices[0] ?? 1) * 100),
      });
    }
    return Promise.resolve(candles);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
