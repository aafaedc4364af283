import { bookSweepFrom, pruneDue, retentionCutoffs } from "../core/market/retention";
import type { App } from "./context";

export interface PruneOutcome {
  readonly historyBefore: number;
  readonly bookBefore: number;
  /** Rows deleted per table, and snapshots whose full book was dropped. */
  readonly deleted: Readonly<Record<"marketSnapshot" | "bookSummary" | "openInterestPrint", number>>;
  readonly booksDropped: number;
}

/** When the last prune ran (Setting row), so a restart or a second worker does not prune again within the hour. */
export const PRUNE_KEY = "market-prune:last";

/**
 * Applies the retention rule (src/core/market/retention.ts): recorded history older than
 * MARKET_RETENTION_DAYS is deleted, full books older than MARKET_BOOK_RETENTION_DAYS are dropped
 * from their snapshot (the BookSummary rows keep what a backtest needs). Funding prints and hourly
 * candles stay: one row an hour is small, and `npm run data:import` brings years of them that a
 * backtest replays (pruning them would delete imported history at the next hourly pass).
 *
 * Only the configured venues and symbols are pruned: every statement then runs on the
 * (venue, symbol, ts) indexes instead of scanning tables that reach tens of millions of rows at
 * 100 symbols. History of a symbol or venue taken out of the configuration is left as it is.
 * `previousBookBefore` (the previous prune's book cut-off) bounds the book sweep to the stretch not swept yet.
 */
export async function pruneMarketHistory(app: App, previousBookBefore: number | null = null): Promise<PruneOutcome> {
  const now = app.clock();
  const rule = app.settings.marketData;
  const { historyBefore, bookBefore } = retentionCutoffs(now, rule);
  const pairs = { venue: { in: [...app.settings.venues] }, symbol: { in: [...app.settings.symbols] } };
  const old = { ...pairs, ts: { lt: new Date(historyBefore) } };
  const [marketSnapshot, bookSummary, openInterestPrint] = [
    (await app.db.marketSnapshot.deleteMany({ where: old })).count,
    (await app.db.bookSummary.deleteMany({ where: old })).count,
    (await app.db.openInterestPrint.deleteMany({ where: old })).count,
  ];
  const sweepFrom = bookSweepFrom(previousBookBefore);
  const booksDropped = (await app.db.marketSnapshot.updateMany({
    where: { ...pairs, ts: { lt: new Date(bookBefore), ...(sweepFrom === null ? {} : { gte: new Date(sweepFrom) }) }, bookJson: { not: null } },
    data: { bookJson: null },
  })).count;
  const value = JSON.stringify({ ranAt: now, bookBefore } satisfies LastPrune);
  await app.db.setting.upsert({ where: { key: PRUNE_KEY }, create: { key: PRUNE_KEY, value }, update: { value } });
  return { historyBefore, bookBefore, deleted: { marketSnapshot, bookSummary, openInterestPrint }, booksDropped };
}

interface LastPrune {
  readonly ranAt: number;
  readonly bookBefore: number;
}

function parseLastPrune(value: string | undefined): LastPrune | null {
  if (value === undefined) return null;
  try {
    const parsed = JSON.parse(value) as Partial<LastPrune>;
    return typeof parsed.ranAt === "number" && typeof parsed.bookBefore === "number" ? { ranAt: parsed.ranAt, bookBefore: parsed.bookBefore } : null;
  } catch {
    return null; // unreadable: prune now, sweeping every book
  }
}

/** Prunes when the last prune is an hour old or more; returns null when it was not due. */
export async function pruneMarketHistoryIfDue(app: App): Promise<PruneOutcome | null> {
  const row = await app.db.setting.findUnique({ where: { key: PRUNE_KEY } });
  const last = parseLastPrune(row?.value);
  if (!pruneDue(last?.ranAt ?? null, app.clock())) return null;
  const outcome = await pruneMarketHistory(app, last?.bookBefore ?? null);
  const total = Object.values(outcome.deleted).reduce((sum, n) => sum + n, 0);
  if (total > 0 || outcome.booksDropped > 0) app.logger.info({ ...outcome.deleted, booksDropped: outcome.booksDropped }, "market history pruned");
  return outcome;
}
