import type { Candle, SymbolMarketView, TimedRate, VenueView } from "../core/signals/types";
import { snapSettlement } from "../core/trading/funding";
import type { MarketSnapshot } from "../store/generated/client";
import type { Tx } from "../store/outbox";
import type { App } from "./context";

const LOOKBACK_MS = 7 * 86_400_000;
/** A stored print within this of a whole minute is that minute's settlement (`snapSettlement`'s default). */
const SETTLEMENT_TOLERANCE_MS = 1_000;

/**
 * The aligned cross-venue view of one symbol at `now`, from stored data only: the latest snapshot
 * of each venue (not older than MAX_DATA_AGE_MINUTES), with funding history strictly before it and
 * before `now`, and the hourly perp and spot bars that had closed by `now`. Venues are read in parallel.
 * Settled prints are stored with the venue's own stamps, a few ms late on Binance and sometimes
 * twice for one settlement: they are compared and counted by the settlement they belong to
 * (snapped onto the minute), once each.
 */
export async function loadMarketView(app: App, symbol: string, now: number): Promise<SymbolMarketView> {
  const views = await Promise.all(app.settings.venues.map((venue) => loadVenueView(app, venue, symbol, now)));
  return { symbol, ts: now, venues: views.filter((v): v is VenueView => v !== null) };
}

async function loadVenueView(app: App, venue: string, symbol: string, now: number): Promise<VenueView | null> {
  const latest = await latestSnapshot(app, venue, symbol, now);
  if (latest === null || !isFresh(app, latest.ts.getTime(), now)) return null;
  const since = new Date(latest.ts.getTime() - LOOKBACK_MS);
  // Widened by the tolerance (a late stamp just past either bound may settle inside it), but never to `now` or after.
  const settledUntil = new Date(Math.min(latest.ts.getTime() + SETTLEMENT_TOLERANCE_MS, now));
  const [settled, polled, previous, perpCandles, spotCandles] = await Promise.all([
    app.db.fundingPrint.findMany({
      where: { venue, symbol, ts: { gte: new Date(since.getTime() - SETTLEMENT_TOLERANCE_MS), lt: settledUntil } },
      orderBy: { ts: "asc" },
    }),
    app.db.marketSnapshot.findMany({
      where: { venue, symbol, ts: { gte: since, lt: latest.ts }, fundingRate: { not: null } },
      orderBy: { ts: "asc" }, select: { ts: true, fundingRate: true },
    }),
    previousBook(app, venue, symbol, latest.ts),
    closedCandles(app, "perp", venue, symbol, now),
    closedCandles(app, "spot", venue, symbol, now),
  ]);
  const history: TimedRate[] = [
    ...settledBetween(settled, since.getTime(), latest.ts.getTime()),
    ...polled.map((p) => ({ ts: p.ts.getTime(), rate: p.fundingRate ?? 0 })),
  ].sort((a, b) => a.ts - b.ts);
  const book = parseBook(latest.bookJson);
  return {
    venue,
    price: latest.markPrice ?? latest.lastPrice ?? 0,
    funding: latest.fundingRate === null ? null : {
      current: { ts: latest.ts.getTime(), rate: latest.fundingRate },
      intervalHours: latest.fundingIntervalHours ?? 8,
      history,
    },
    book: book === null ? null : { ts: latest.ts.getTime(), ...book },
    previousBook: previous,
    perpVolume24h: latest.baseVolume24h,
    perpCandles,
    spotCandles,
  };
}

/** Stored prints by settlement: snapped, in [from, before), the first stored print of each settlement only. */
function settledBetween(rows: readonly { ts: Date; rate: number }[], from: number, before: number): TimedRate[] {
  const bySettlement = new Map<number, TimedRate>();
  for (const row of rows) {
    const ts = snapSettlement(row.ts.getTime(), SETTLEMENT_TOLERANCE_MS);
    if (ts >= from && ts < before && !bySettlement.has(ts)) bySettlement.set(ts, { ts, rate: row.rate });
  }
  return [...bySettlement.values()];
}

/** Market data older than MAX_DATA_AGE_MINUTES (default two poll intervals) is stale: signals, proposals and fills wait for the next poll. */
export function isFresh(app: App, ts: number, now: number): boolean {
  return now - ts <= app.settings.marketData.maxDataAgeMs;
}

export function latestSnapshot(app: App, venue: string, symbol: string, now: number, tx: Tx = app.db): Promise<MarketSnapshot | null> {
  return tx.marketSnapshot.findFirst({ where: { venue, symbol, ts: { lte: new Date(now) } }, orderBy: { ts: "desc" } });
}

/**
 * How far back each kind of bar is read: the volatility regime's baseline is 30 days (perp), the
 * volume divergence's a week plus its 4-hour window (spot).
 */
const CANDLE_LOOKBACK_MS = { perp: 32 * 86_400_000, spot: 8 * 86_400_000 } as const;

/** Hourly bars that had closed by `now` (open time + 1 h ≤ now: nothing stamped at or after `now`), oldest first. */
async function closedCandles(app: App, kind: "perp" | "spot", venue: string, symbol: string, now: number): Promise<Candle[]> {
  const where = { venue, symbol, ts: { gte: new Date(now - CANDLE_LOOKBACK_MS[kind]), lte: new Date(now - 3_600_000) } };
  const rows = kind === "perp"
    ? await app.db.candle.findMany({ where, orderBy: { ts: "asc" } })
    : await app.db.spotCandle.findMany({ where, orderBy: { ts: "asc" } });
  return rows.map((r) => ({ ts: r.ts.getTime(), open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume }));
}

async function previousBook(app: App, venue: string, symbol: string, before: Date): Promise<{ ts: number; bids: Levels; asks: Levels } | null> {
  const row = await app.db.marketSnapshot.findFirst({ where: { venue, symbol, ts: { lt: before }, bookJson: { not: null } }, orderBy: { ts: "desc" } });
  const book = row === null ? null : parseBook(row.bookJson);
  return row === null || book === null ? null : { ts: row.ts.getTime(), ...book };
}

type Levels = [number, number][];

/** The stored top of book; null when absent or unreadable. */
export function parseBook(json: string | null): { bids: Levels; asks: Levels } | null {
  if (json === null) return null;
  try {
    const parsed = JSON.parse(json) as { bids?: Levels; asks?: Levels };
    return { bids: parsed.bids ?? [], asks: parsed.asks ?? [] };
  } catch {
    return null;
  }
}
