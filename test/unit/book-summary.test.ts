import { describe, expect, it } from "vitest";
import { summarizeBook, WALL_MULTIPLE } from "../../src/core/market/book-summary";
import { bookSweepFrom, pruneDue, PRUNE_EVERY_MS, retentionCutoffs } from "../../src/core/market/retention";

describe("summarizeBook", () => {
  // Mid 100: bids 99.95 (5 bp), 99.6 (40 bp), 99.2 (80 bp), 98.5 (150 bp), 97 (300 bp); asks mirrored.
  const bids = [[99.95, 1], [99.6, 2], [99.2, 3], [98.5, 4], [97, 5]] as const;
  const asks = [[100.05, 1.5], [100.4, 2], [100.8, 3], [101.5, 4], [103, 5]] as const;

  it("keeps the best levels and sums base size within 10/50/100/200 bp of mid, band edges included", () => {
    const s = summarizeBook(bids, asks);
    expect(s).not.toBeNull();
    expect(s).toMatchObject({ bestBid: 99.95, bestAsk: 100.05, bidSize: 1, askSize: 1.5, mid: 100 });
    expect(s?.depth).toEqual({ 10: [1, 1.5], 50: [3, 3.5], 100: [6, 6.5], 200: [10, 10.5] });
    // A level exactly 50 bp from mid counts in the 50 bp band.
    expect(summarizeBook([[99.95, 1], [99.5, 7]], [[100.05, 1]])?.depth[50]).toEqual([8, 1]);
  });

  it(`marks a wall at ${WALL_MULTIPLE}x the median level size and not just under it`, () => {
    // Ten levels of 1 and one of each candidate: median 1.
    const flat = Array.from({ length: 10 }, (_, i) => [99.9 - i * 0.1, 1] as const);
    const s = summarizeBook([...flat, [98, WALL_MULTIPLE]], [[100.1, 1], [100.2, WALL_MULTIPLE - 0.01], [100.3, 1]]);
    expect(s?.walls).toEqual([["bid", 98, WALL_MULTIPLE]]);
  });

  it("is null for a one-sided or empty book, and ignores unusable levels", () => {
    expect(summarizeBook([], asks)).toBeNull();
    expect(summarizeBook(bids, [])).toBeNull();
    expect(summarizeBook([[Number.NaN, 1], [0, 2], [99, 0], [99.9, 1]], [[100.1, 1]])).toMatchObject({ bestBid: 99.9, bidSize: 1 });
  });
});

describe("retention rule", () => {
  const now = Date.UTC(2026, 5, 1);
  const day = 86_400_000;
  it("cuts history at retentionDays and books at bookRetentionDays, never a book after its row", () => {
    expect(retentionCutoffs(now, { retentionDays: 730, bookRetentionDays: 3 })).toEqual({ historyBefore: now - 730 * day, bookBefore: now - 3 * day });
    expect(retentionCutoffs(now, { retentionDays: 2, bookRetentionDays: 10 })).toEqual({ historyBefore: now - 2 * day, bookBefore: now - 2 * day });
  });
  it("sweeps books only from a day before the previous run's book cut-off", () => {
    expect(bookSweepFrom(null)).toBeNull();
    expect(bookSweepFrom(now - 3 * day)).toBe(now - 4 * day);
  });

  it("is due at most once an hour", () => {
    expect(pruneDue(null, now)).toBe(true);
    expect(pruneDue(now - PRUNE_EVERY_MS + 1, now)).toBe(false);
    expect(pruneDue(now - PRUNE_EVERY_MS, now)).toBe(true);
    expect(pruneDue(now + 5, now)).toBe(true);
  });
});
