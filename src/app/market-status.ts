import { crossVenueView, type CrossVenueView, type VenueMarketReading } from "../core/market/cross-venue";
import { round } from "../core/stats";
import type { App } from "./context";
import { latestSnapshot } from "./market-view";
import { readVenueHealth, STREAM_LABEL, STREAMS, type MarketStream } from "./market-health";
import { readCooldowns } from "./venue-cooldown";

const HOUR_MS = 3_600_000;
/** /status lists this many missing items per venue, then counts the rest. */
const MISSING_SHOWN = 4;
/** Cross-venue lines for at most this many symbols: /status must stay one screen. */
const SYMBOLS_SHOWN = 5;

/** The cross-venue view of one symbol from each venue's latest stored snapshot at or before `now`. */
export async function loadCrossVenueView(app: App, symbol: string, now: number): Promise<CrossVenueView> {
  const readings = await Promise.all(app.settings.venues.map(async (venue): Promise<VenueMarketReading | null> => {
    const s = await latestSnapshot(app, venue, symbol, now);
    if (s === null) return null;
    const ts = s.ts.getTime();
    return {
      venue,
      funding: s.fundingRate === null ? null : { rate: s.fundingRate, intervalHours: s.fundingIntervalHours ?? 8, ts },
      perpVolume: s.baseVolume24h === null && s.quoteVolume24h === null ? null : { base: s.baseVolume24h, quote: s.quoteVolume24h, ts },
      spotVolume: s.spotBaseVolume24h === null && s.spotQuoteVolume24h === null ? null : { base: s.spotBaseVolume24h, quote: s.spotQuoteVolume24h, ts },
      openInterest: s.openInterest === null && s.openInterestValue === null ? null : { amount: s.openInterest, value: s.openInterestValue, ts },
    };
  }));
  return crossVenueView(symbol, now, readings.filter((r): r is VenueMarketReading => r !== null), app.settings.marketData.maxDataAgeMs);
}

const ago = (ms: number): string => (ms < 90_000 ? `${Math.max(0, Math.round(ms / 1000))} s` : ms < 2 * HOUR_MS ? `${Math.round(ms / 60_000)} min` : `${round(ms / HOUR_MS, 1)} h`);

/**
 * Per venue, which streams had data in its latest poll and how old, and what is missing, named;
 * a venue cooling down or never polled says so. Read from the health records the poll writes.
 */
export async function marketHealthLines(app: App, now: number): Promise<string[]> {
  const { venues, symbols } = app.settings;
  const [health, cooldowns] = await Promise.all([readVenueHealth(app, venues), readCooldowns(app, venues)]);
  const lines: string[] = [];
  for (const venue of venues) {
    const record = health.get(venue);
    const cooling = cooldowns.get(venue);
    const coolingText = cooling !== undefined && cooling.until > now
      ? ` — ${cooling.kind === "banned" ? "banned" : "paused"}, not polled until ${new Date(cooling.until).toISOString().slice(11, 16)} UTC`
      : "";
    if (record === undefined) {
      lines.push(`  ${venue}: no poll yet${coolingText}`);
      continue;
    }
    const watched = symbols.filter((s) => record.symbols[s] !== undefined && record.symbols[s].status !== "unlisted");
    const parts: string[] = [];
    const missing: string[] = [];
    for (const symbol of symbols) {
      const h = record.symbols[symbol];
      if (h === undefined) missing.push(`${symbol} (not polled)`);
      else if (h.status === "unlisted") missing.push(`${symbol} (not listed here)`);
      else if (h.status === "failed") missing.push(`everything for ${symbol} (${h.reason})`);
    }
    for (const stream of STREAMS) {
      let had = 0;
      let oldest = 0;
      for (const symbol of watched) {
        const h = record.symbols[symbol];
        const s = h?.status === "recorded" ? h.streams[stream] : undefined;
        if (s !== undefined && "ts" in s) {
          had += 1;
          // A bar's data is as old as its close.
          oldest = Math.max(oldest, now - s.ts - (isCandles(stream) ? HOUR_MS : 0));
        } else if (s !== undefined && h?.status === "recorded") missing.push(`${STREAM_LABEL[stream]} for ${symbol} (${s.missing})`);
      }
      const mark = watched.length === 0 ? "–" : had === 0 ? "✗" : had === watched.length ? `✓ ${ago(oldest)}` : `${had}/${watched.length}, oldest ${ago(oldest)}`;
      parts.push(`${STREAM_LABEL[stream]} ${mark}`);
    }
    lines.push(`  ${venue}, polled ${ago(now - record.ts)} ago${coolingText}: ${parts.join(", ")}`);
    if (missing.length > 0) {
      const more = missing.length > MISSING_SHOWN ? ` and ${missing.length - MISSING_SHOWN} more` : "";
      lines.push(`    missing: ${missing.slice(0, MISSING_SHOWN).join("; ")}${more}`);
    }
  }
  return lines;
}

const isCandles = (stream: MarketStream): boolean => stream === "perpCandles" || stream === "spotCandles";

const pct = (x: number, digits = 4): string => `${round(x * 100, digits)}%`;
const compact = (x: number): string => (x >= 1e9 ? `${round(x / 1e9, 2)}B` : x >= 1e6 ? `${round(x / 1e6, 2)}M` : x >= 1e3 ? `${round(x / 1e3, 1)}k` : `${round(x, 2)}`);

/** One line per symbol (the first few): funding per venue on an 8 h footing, the weighted average and widest gap, perp/spot volume, open interest. */
export async function crossVenueLines(app: App, now: number): Promise<string[]> {
  const shown = app.settings.symbols.slice(0, SYMBOLS_SHOWN);
  const views = await Promise.all(shown.map((symbol) => loadCrossVenueView(app, symbol, now)));
  const lines = views.map((view) => {
    if (view.funding.length === 0) return `  ${view.symbol}: no market data yet`;
    const funding = view.funding.map((f) => `${f.venue} ${pct(f.rate8h)}${f.intervalHours !== 8 ? ` (${f.intervalHours}h)` : ""}${f.stale ? ` stale ${ago(f.ageMs)}` : ""}`).join(", ");
    const weighted = view.weightedFunding8h === null ? "" : `; ${view.weighting === "volume" ? "volume-weighted" : "average"} ${pct(view.weightedFunding8h)} (${pct(view.weightedFunding8h * 3 * 365, 2)}/yr)`;
    const spread = view.largestSpread === null ? "" : `; widest ${view.largestSpread.high}–${view.largestSpread.low} ${pct(view.largestSpread.spread8h)}`;
    const ratios = view.volumes.filter((v) => v.perpToSpot !== null).map((v) => `${v.venue} ${round(v.perpToSpot ?? 0, 2)}x`);
    const oi = view.openInterest.map((o) => `${o.venue} ${o.value !== null ? `$${compact(o.value)}` : compact(o.amount ?? 0)}`);
    return `  ${view.symbol}: funding/8h ${funding}${weighted}${spread}` +
      (ratios.length > 0 ? `\n    perp/spot volume ${ratios.join(", ")}` : "\n    perp/spot volume: no spot volume") +
      (oi.length > 0 ? `; open interest ${oi.join(", ")}` : "; open interest: none");
  });
  if (app.settings.symbols.length > shown.length) lines.push(`  … and ${app.settings.symbols.length - shown.length} more symbols`);
  return lines;
}
