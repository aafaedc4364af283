import { gaussian, seededRandom } from "../core/random";
import type { Candle } from "../core/signals/types";
import type {
  FundingPrint, FundingSnapshot, MarketDataSource, OpenInterestSnapshot, OrderBookSnapshot, SymbolListing, TickerSnapshot,
} from "../exchange/market-data";

/**
 * An offline market for the demo and for tests: a random-walk price with hourly volatility
 * like MNT's, funding that wanders around 0.01% per 8 h and, once, a crowded-long episode (funding
 * spikes, asks pile up, price edges up and then unwinds). Deterministic per seed; every value is a function
 * of time, so any job may ask about any moment in any order.
 *
 * Every venue also lists the matching spot pair (unless `listings` says otherwise) with its own
 * volume path: spot trades a noisy share of the perp's volume, and during the episode that share
 * drops (the run is leveraged, not spot demand), so the volume-divergence stream has something to
 * see. Open interest builds up through the episode and drains while it unwinds.
 */
export interface SimulatedListing {
  /** Perp symbols the venue lists; every symbol when absent. */
  readonly symbols?: readonly string[];
  /** Whether the venue lists the matching spot pairs (default true). */
  readonly spot?: boolean;
  /** Whether the venue offers open interest (default true). */
  readonly openInterest?: boolean;
}

export interface SimulatorOptions {
  readonly seed: number;
  readonly start: number;
  readonly startPrice: number;
  /** Hours after `start` when the crowded-long episode begins. */
  readonly episodeStartHours: number;
  readonly episodeHours: number;
  readonly venues: readonly string[];
  /** Per venue: what it lists. A venue not named lists everything. */
  readonly listings?: Readonly<Record<string, SimulatedListing>>;
}

const STEP_MS = 15 * 60_000;
const HOUR_MS = 3_600_000;
const FUNDING_INTERVAL_HOURS = 8;
/** Spot trades about this share of the perp's volume (real MNT: perp several times spot). */
const SPOT_VOLUME_SHARE = 0.45;
/** During the crowded-long episode spot's share falls to this fraction of usual: perp-led volume. */
const EPISODE_SPOT_SHARE_FACTOR = 0.35;
/** Open interest in base units outside the episode, and its build-up at the episode's end (fraction). */
const BASE_OPEN_INTEREST = 40_000_000;
const EPISODE_OPEN_INTEREST_BUILD = 0.35;
/** The spot pair trades a few bp under the perp (the perp's usual premium). */
const SPOT_DISCOUNT = 0.0003;

/** A uniform draw in [0, 1) fixed by its inputs: noise that does not depend on the order of questions. */
function noiseAt(seed: number, a: number, b: number): number {
  return seededRandom((seed * 2_654_435_761 + a * 40_503 + b * 9_973) >>> 0)();
}

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

  /** Hours since `start` relative to the episode: negative before it. */
  private episodeHoursAt(ts: number): number {
    return (ts - this.options.start) / HOUR_MS - this.options.episodeStartHours;
  }

  /** The hourly perp bar opening at `ts` (a whole hour): the walk's prices at its four 15-minute steps. */
  perpBar(ts: number, venue: string): Candle {
    const prices = [0, 1, 2, 3, 4].map((q) => this.priceAt(ts + q * STEP_MS - 1, venue));
    const open = prices[0] ?? 0;
    const close = prices[4] ?? 0;
    return {
      ts, open, high: Math.max(...prices), low: Math.min(...prices), close,
      volume: 1_000_000 * (1 + (Math.abs(close - open) / (open || 1)) * 100),
    };
  }

  /** The spot pair's bar for the same hour: prices a few bp under the perp, its own share of the volume. */
  spotBar(ts: number, venue: string): Candle {
    const perp = this.perpBar(ts, venue);
    const episode = this.inEpisode(ts) ? EPISODE_SPOT_SHARE_FACTOR : 1;
    const share = SPOT_VOLUME_SHARE * episode * (0.8 + 0.4 * noiseAt(this.options.seed, ts / HOUR_MS, this.options.venues.indexOf(venue) + 1));
    const k = 1 - SPOT_DISCOUNT;
    return { ts, open: perp.open * k, high: perp.high * k, low: perp.low * k, close: perp.close * k, volume: perp.volume * share };
  }

  /** Open interest in base units: flat with a little noise, built up through the episode, drained in the unwind after it. */
  openInterestAt(ts: number, venue: string): number {
    const h = this.episodeHoursAt(ts);
    const length = this.options.episodeHours;
    const build = h < 0 ? 0 : h < length ? h / length : h < 3 * length ? 1 - (h - length) / (2 * length) : 0;
    const noise = 0.98 + 0.04 * noiseAt(this.options.seed, Math.floor(ts / STEP_MS), this.options.venues.indexOf(venue) + 101);
    return BASE_OPEN_INTEREST * (1 + EPISODE_OPEN_INTEREST_BUILD * build) * noise;
  }

  listing(venue: string, symbol: string): SymbolListing {
    const listing = this.options.listings?.[venue];
    const perp = listing?.symbols === undefined || listing.symbols.includes(symbol);
    const base = symbol.split("/")[0] ?? symbol;
    const quote = (symbol.split("/")[1] ?? "USDT").split(":")[0] ?? "USDT";
    return { venue, symbol, perp, spotSymbol: perp && listing?.spot !== false ? `${base}/${quote}` : null, openInterest: perp && listing?.openInterest !== false };
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

  fetchFundingHistory(symbol: string, sinceMs: number, untilMs?: number): Promise<FundingPrint[]> {
    const now = Math.min(this.clock(), (untilMs ?? Number.POSITIVE_INFINITY) - 1);
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
    return Promise.resolve(this.closedHours(sinceMs).map((t) => this.sim.perpBar(t, this.venue)));
  }

  checkSymbol(symbol: string): Promise<SymbolListing> {
    return Promise.resolve(this.sim.listing(this.venue, symbol));
  }

  fetchSpotTicker(symbol: string): Promise<TickerSnapshot | null> {
    if (this.sim.listing(this.venue, symbol).spotSymbol === null) return Promise.resolve(null);
    const now = this.clock();
    const last = this.sim.priceAt(now, this.venue) * (1 - SPOT_DISCOUNT);
    // The last 24 closed hours: the same volume path the spot candles show.
    const hours = this.closedHours(Math.floor(now / HOUR_MS) * HOUR_MS - 24 * HOUR_MS).map((t) => this.sim.spotBar(t, this.venue));
    const base = hours.reduce((sum, c) => sum + c.volume, 0);
    const quote = hours.reduce((sum, c) => sum + c.volume * c.close, 0);
    return Promise.resolve({ venue: this.venue, symbol, ts: now, last, bid: last * 0.99995, ask: last * 1.00005, baseVolume24h: base, quoteVolume24h: quote });
  }

  fetchSpotCandles(symbol: string, sinceMs: number): Promise<Candle[]> {
    if (this.sim.listing(this.venue, symbol).spotSymbol === null) return Promise.resolve([]);
    return Promise.resolve(this.closedHours(sinceMs).map((t) => this.sim.spotBar(t, this.venue)));
  }

  fetchOpenInterest(symbol: string): Promise<OpenInterestSnapshot | null> {
    if (!this.sim.listing(this.venue, symbol).openInterest) return Promise.resolve(null);
    return Promise.resolve(this.openInterest(symbol, this.clock()));
  }

  fetchOpenInterestHistory(symbol: string, sinceMs: number): Promise<OpenInterestSnapshot[]> {
    if (!this.sim.listing(this.venue, symbol).openInterest) return Promise.resolve([]);
    const now = this.clock();
    const out: OpenInterestSnapshot[] = [];
    for (let t = Math.ceil(sinceMs / HOUR_MS) * HOUR_MS; t <= now; t += HOUR_MS) out.push(this.openInterest(symbol, t));
    return Promise.resolve(out);
  }

  private openInterest(symbol: string, ts: number): OpenInterestSnapshot {
    const amount = this.sim.openInterestAt(ts, this.venue);
    return { venue: this.venue, symbol, ts, amount, value: amount * this.sim.priceAt(ts, this.venue) };
  }

  /** Open times of the hourly bars that have closed by now, from the first whole hour at or after `sinceMs`. */
  private closedHours(sinceMs: number): number[] {
    const now = this.clock();
    const out: number[] = [];
    for (let t = Math.ceil(sinceMs / HOUR_MS) * HOUR_MS; t + HOUR_MS <= now; t += HOUR_MS) out.push(t);
    return out;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
