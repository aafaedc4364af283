/**
 * The cross-venue picture of one symbol at `now`: each venue's funding on one footing, their
 * volume-weighted average, the widest gap between two venues, spot against perp volume and open
 * interest per venue. Every figure keeps its own time stamp and age, so a venue that stopped
 * answering shows as old rather than silently current; stale readings are listed (marked) but left
 * out of the aggregates. Nothing stamped after `now` is read.
 */

export interface VenueMarketReading {
  readonly venue: string;
  /** The live (predicted) rate per settlement and the venue's settlement interval. */
  readonly funding: { readonly rate: number; readonly intervalHours: number; readonly ts: number } | null;
  /** 24 h volumes, base and quote. */
  readonly perpVolume: { readonly base: number | null; readonly quote: number | null; readonly ts: number } | null;
  readonly spotVolume: { readonly base: number | null; readonly quote: number | null; readonly ts: number } | null;
  readonly openInterest: { readonly amount: number | null; readonly value: number | null; readonly ts: number } | null;
}

export interface VenueFunding {
  readonly venue: string;
  readonly rate: number;
  readonly intervalHours: number;
  /** The rate scaled to an 8-hour settlement (most venues' interval), so 1 h, 4 h and 8 h venues compare. */
  readonly rate8h: number;
  /** The same per year (rate × settlements per year), decimal. */
  readonly annualised: number;
  readonly ts: number;
  readonly ageMs: number;
  readonly stale: boolean;
}

export interface CrossVenueView {
  readonly symbol: string;
  readonly ts: number;
  readonly funding: readonly VenueFunding[];
  /** Weighted 8 h-equivalent funding over the fresh venues; null with none. */
  readonly weightedFunding8h: number | null;
  /** "volume" when every fresh venue has its 24 h perp quote volume; otherwise each counts equally. */
  readonly weighting: "volume" | "equal";
  /** The widest 8 h-equivalent gap between two fresh venues; null with fewer than two. */
  readonly largestSpread: { readonly high: string; readonly low: string; readonly spread8h: number } | null;
  readonly volumes: readonly {
    readonly venue: string;
    readonly perpQuote: number | null;
    readonly spotQuote: number | null;
    /** Perp quote volume over spot quote volume; null when either is missing or zero. */
    readonly perpToSpot: number | null;
    readonly perpTs: number | null;
    readonly spotTs: number | null;
  }[];
  readonly openInterest: readonly { readonly venue: string; readonly amount: number | null; readonly value: number | null; readonly ts: number; readonly ageMs: number; readonly stale: boolean }[];
}

const HOURS_PER_YEAR = 365 * 24;

/** `maxAgeMs`: readings older than this are stale (MAX_DATA_AGE_MINUTES in the app). */
export function crossVenueView(symbol: string, now: number, readings: readonly VenueMarketReading[], maxAgeMs: number): CrossVenueView {
  const usable = <T extends { ts: number }>(x: T | null): x is T => x !== null && x.ts <= now;
  const funding: VenueFunding[] = readings.flatMap((r) => {
    const f = r.funding;
    if (!usable(f) || !(f.intervalHours > 0) || !Number.isFinite(f.rate)) return [];
    const ageMs = now - f.ts;
    return [{
      venue: r.venue, rate: f.rate, intervalHours: f.intervalHours, rate8h: (f.rate * 8) / f.intervalHours,
      annualised: (f.rate * HOURS_PER_YEAR) / f.intervalHours, ts: f.ts, ageMs, stale: ageMs > maxAgeMs,
    }];
  });
  const fresh = funding.filter((f) => !f.stale);
  const volumeOf = (venue: string): number | null => {
    const v = readings.find((r) => r.venue === venue)?.perpVolume ?? null;
    return usable(v) && now - v.ts <= maxAgeMs && v.quote !== null && Number.isFinite(v.quote) && v.quote > 0 ? v.quote : null;
  };
  const byVolume = fresh.length > 0 && fresh.every((f) => volumeOf(f.venue) !== null);
  const weights = fresh.map((f) => (byVolume ? (volumeOf(f.venue) ?? 0) : 1));
  const total = weights.reduce((sum, w) => sum + w, 0);
  const weightedFunding8h = fresh.length === 0 ? null : fresh.reduce((sum, f, i) => sum + ((weights[i] ?? 0) / total) * f.rate8h, 0);
  let largestSpread: CrossVenueView["largestSpread"] = null;
  if (fresh.length >= 2) {
    const high = fresh.reduce((a, b) => (b.rate8h > a.rate8h ? b : a));
    const low = fresh.reduce((a, b) => (b.rate8h < a.rate8h ? b : a));
    largestSpread = { high: high.venue, low: low.venue, spread8h: high.rate8h - low.rate8h };
  }
  const volumes = readings.map((r) => {
    const perp = usable(r.perpVolume) ? r.perpVolume : null;
    const spot = usable(r.spotVolume) ? r.spotVolume : null;
    const perpQuote = perp?.quote ?? null;
    const spotQuote = spot?.quote ?? null;
    return {
      venue: r.venue, perpQuote, spotQuote, perpToSpot: perpQuote !== null && spotQuote !== null && spotQuote > 0 ? perpQuote / spotQuote : null,
      perpTs: perp?.ts ?? null, spotTs: spot?.ts ?? null,
    };
  });
  const openInterest = readings.flatMap((r) => {
    const oi = r.openInterest;
    return usable(oi) ? [{ venue: r.venue, amount: oi.amount, value: oi.value, ts: oi.ts, ageMs: now - oi.ts, stale: now - oi.ts > maxAgeMs }] : [];
  });
  return { symbol, ts: now, funding, weightedFunding8h, weighting: byVolume ? "volume" : "equal", largestSpread, volumes, openInterest };
}
