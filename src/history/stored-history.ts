import { createHash } from "node:crypto";
import type { Candle, TimedRate } from "../core/signals/types";
import type { Db } from "../store/database";
import { TRADING_VENUE, type AssetHistory, type VenueFundingSeries } from "./replay";
import { MULTI_EXCHANGE_VENUES } from "./shared-data";

/**
 * History for a backtest from the database the bot records into and `npm run data:import` fills:
 * the same tables, keyed as the recorder keys them (venue + the ccxt perp symbol, spot candles
 * too), turned into the replay's AssetHistory — so a coin the bot has watched, or one imported
 * from a venue, backtests exactly like one of ../shared/data.
 *
 * Funding intervals are read, never assumed: the newest recorded snapshot's interval for that
 * venue and symbol when the bot polled it; else the venue's known interval in the shared data;
 * else the most common gap between its prints (1, 2, 4 or 8 h exist).
 */
export interface StoredHistory {
  readonly history: AssetHistory<string>;
  /** Rows read per table, and the newest stamp of each: what the report records as its data. */
  readonly rows: { readonly perp: number; readonly spot: number; readonly funding: Readonly<Record<string, number>> };
  readonly newest: number | null;
}

const HOUR_MS = 3_600_000;
const INTERVALS = [1, 2, 4, 8] as const;

export async function loadStoredHistory(db: Db, coin: string, tradingVenue: string = TRADING_VENUE): Promise<StoredHistory> {
  const symbol = `${coin}/USDT:USDT`;
  const bars = { where: { venue: tradingVenue, symbol }, orderBy: { ts: "asc" as const }, select: { ts: true, open: true, high: true, low: true, close: true, volume: true } };
  const [perpRows, spotRows, printRows] = await Promise.all([
    db.candle.findMany(bars),
    db.spotCandle.findMany(bars),
    db.fundingPrint.findMany({ where: { symbol }, orderBy: [{ venue: "asc" }, { ts: "asc" }], select: { venue: true, ts: true, rate: true } }),
  ]);
  const toCandle = (r: (typeof perpRows)[number]): Candle => ({ ts: r.ts.getTime(), open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume });
  const byVenue = new Map<string, TimedRate[]>();
  for (const row of printRows) {
    const prints = byVenue.get(row.venue) ?? [];
    prints.push({ ts: row.ts.getTime(), rate: row.rate });
    byVenue.set(row.venue, prints);
  }
  // The trading venue's series first: the replay reads it for the funding paid while a trade is held.
  const venues = [...byVenue.keys()].sort((a, b) => (a === tradingVenue ? -1 : b === tradingVenue ? 1 : a.localeCompare(b)));
  const funding: VenueFundingSeries[] = [];
  for (const venue of venues) {
    const prints = byVenue.get(venue) ?? [];
    funding.push({ venue, intervalHours: await intervalOf(db, venue, symbol, prints), prints });
  }
  const perp = perpRows.map(toCandle);
  const spot = spotRows.map(toCandle);
  const stamps = [perp.at(-1)?.ts, spot.at(-1)?.ts, ...funding.map((f) => f.prints.at(-1)?.ts)].filter((t): t is number => t !== undefined);
  return {
    history: { asset: coin, symbol, perp, spot, funding, ...(tradingVenue === TRADING_VENUE ? {} : { tradingVenue }) },
    rows: { perp: perp.length, spot: spot.length, funding: Object.fromEntries(funding.map((f) => [f.venue, f.prints.length])) },
    newest: stamps.length === 0 ? null : Math.max(...stamps),
  };
}

async function intervalOf(db: Db, venue: string, symbol: string, prints: readonly TimedRate[]): Promise<number> {
  const polled = await db.marketSnapshot.findFirst({
    where: { venue, symbol, fundingIntervalHours: { not: null } }, orderBy: { ts: "desc" }, select: { fundingIntervalHours: true },
  });
  if (polled?.fundingIntervalHours != null) return polled.fundingIntervalHours;
  const known = MULTI_EXCHANGE_VENUES.find((v) => v.venue === venue)?.intervalHours;
  return known ?? commonGapHours(prints);
}

/** The most common gap between consecutive prints, among the intervals venues use; 8 when there are too few prints to tell. */
export function commonGapHours(prints: readonly TimedRate[]): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < prints.length; i++) {
    const gap = ((prints[i]?.ts ?? 0) - (prints[i - 1]?.ts ?? 0)) / HOUR_MS;
    const interval = INTERVALS.find((h) => Math.abs(gap - h) < 1 / 60);
    if (interval !== undefined) counts.set(interval, (counts.get(interval) ?? 0) + 1);
  }
  let best = 8;
  let most = 0;
  for (const [interval, n] of counts) {
    if (n > most) [best, most] = [interval, n];
  }
  return best;
}

/**
 * What a report records of the data it read from the database: one line per series (table, venue,
 * symbol, rows), the byte length of its rows as canonical JSON and their sha256 — the same rows give
 * the same digest on any machine, so two reports say whether they saw the same data.
 */
export function storedHistoryDigests(stored: StoredHistory): { file: string; bytes: number; sha256: string }[] {
  const { history } = stored;
  const venue = history.tradingVenue ?? TRADING_VENUE;
  const series: [string, unknown[]][] = [
    [`Candle ${venue} ${history.symbol} (${history.perp.length} rows)`, [...history.perp]],
    ...(history.spot.length === 0 ? [] : [[`SpotCandle ${venue} ${history.symbol} (${history.spot.length} rows)`, [...history.spot]] as [string, unknown[]]]),
    ...history.funding.map((f): [string, unknown[]] => [`FundingPrint ${f.venue} ${history.symbol} (${f.prints.length} rows, every ${f.intervalHours} h)`, [...f.prints]]),
  ];
  return series.map(([file, rows]) => {
    const text = JSON.stringify(rows);
    return { file, bytes: Buffer.byteLength(text), sha256: createHash("sha256").update(text).digest("hex") };
  });
}
