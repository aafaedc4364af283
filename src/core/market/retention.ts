/**
 * How long recorded market history is kept. Two horizons: full stored books are heavy (a 20-level
 * book is most of a snapshot row) and are dropped after a few days, while everything a backtest
 * replays (snapshots without their book, book summaries, open interest) is kept for the long
 * horizon. Funding prints and hourly candles are not pruned: they are small, the longest baselines
 * there are, and what `npm run data:import` brings from years back.
 */
export interface RetentionRule {
  readonly retentionDays: number;
  readonly bookRetentionDays: number;
}

export interface RetentionCutoffs {
  /** Recorded history stamped before this (epoch ms) is deleted. */
  readonly historyBefore: number;
  /** Full books stamped before this lose their JSON; their summary rows stay. */
  readonly bookBefore: number;
}

const DAY_MS = 86_400_000;

/** Pruning is cheap but not free on a large file: at most once an hour is plenty for day-sized horizons. */
export const PRUNE_EVERY_MS = 3_600_000;

export function retentionCutoffs(now: number, rule: RetentionRule): RetentionCutoffs {
  const historyBefore = now - rule.retentionDays * DAY_MS;
  // A book cannot outlive its own row: the later of the two cut-offs.
  const bookBefore = Math.max(historyBefore, now - rule.bookRetentionDays * DAY_MS);
  return { historyBefore, bookBefore };
}

/**
 * Where the book sweep may start: books before the previous run's book cut-off were dropped then,
 * so only the stretch since (with a day's margin for a run that stopped half-way) is looked at
 * again, instead of every old row each hour. It is the previous cut-off, not one recomputed with
 * today's rule: after MARKET_BOOK_RETENTION_DAYS is lowered the books between the two cut-offs
 * are still swept. Null on the first run: the whole range.
 */
export function bookSweepFrom(previousBookBefore: number | null): number | null {
  return previousBookBefore === null ? null : previousBookBefore - DAY_MS;
}

/** Whether a prune is due: never ran, ran an hour or more ago, or the clock went backwards. */
export function pruneDue(lastRun: number | null, now: number): boolean {
  return lastRun === null || now - lastRun >= PRUNE_EVERY_MS || now < lastRun;
}
