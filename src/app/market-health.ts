import type { App } from "./context";

/**
 * What each venue gave in its latest poll, stream by stream, and what it did not give with the
 * reason. One record per venue (a Setting row `market-health:<venue>`), replaced every cycle the
 * venue is polled: /status reads it, and its age shows a venue that stopped being polled (a
 * cool-down keeps the previous record). The data itself is in the market tables; this only says
 * which of it came this cycle, which the tables alone cannot tell (a missing spot row may mean
 * "not listed", "failed" or "not asked").
 */
export const STREAMS = ["funding", "book", "perpVolume", "perpCandles", "spot", "spotCandles", "openInterest"] as const;
export type MarketStream = (typeof STREAMS)[number];

export const STREAM_LABEL: Readonly<Record<MarketStream, string>> = {
  funding: "funding", book: "book", perpVolume: "perp volume", perpCandles: "perp candles",
  spot: "spot volume", spotCandles: "spot candles", openInterest: "open interest",
};

/** Either the data's own time stamp (epoch ms; for candles the latest stored bar's open time) or why it is missing. */
export type StreamHealth = { readonly ts: number } | { readonly missing: string };

export type SymbolHealth =
  | { readonly status: "recorded"; readonly streams: Readonly<Partial<Record<MarketStream, StreamHealth>>> }
  /** The required part (funding, ticker, book) failed: nothing was stored for the symbol. */
  | { readonly status: "failed"; readonly reason: string }
  | { readonly status: "unlisted" };

export interface VenueHealth {
  readonly venue: string;
  /** When the cycle ran (the app's clock). */
  readonly ts: number;
  readonly symbols: Readonly<Record<string, SymbolHealth>>;
}

export const healthKey = (venue: string): string => `market-health:${venue}`;

export async function writeVenueHealth(app: App, health: VenueHealth): Promise<void> {
  const value = JSON.stringify(health);
  try {
    await app.db.setting.upsert({ where: { key: healthKey(health.venue) }, create: { key: healthKey(health.venue), value }, update: { value } });
  } catch (error) {
    // Only /status reads it: a lost record must not fail a poll that stored its data.
    app.logger.warn({ venue: health.venue, error: error instanceof Error ? error.message : String(error) }, "market health not saved this round");
  }
}

/** The latest health record of each venue that has one. */
export async function readVenueHealth(app: App, venues: readonly string[]): Promise<Map<string, VenueHealth>> {
  const rows = await app.db.setting.findMany({ where: { key: { in: venues.map(healthKey) } } });
  const out = new Map<string, VenueHealth>();
  for (const row of rows) {
    try {
      const parsed = JSON.parse(row.value) as VenueHealth;
      if (typeof parsed.ts === "number" && typeof parsed.symbols === "object") out.set(parsed.venue, parsed);
    } catch {
      // An unreadable record reads as "no record": the next poll replaces it.
    }
  }
  return out;
}
