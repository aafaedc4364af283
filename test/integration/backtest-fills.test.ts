import { describe, expect, it } from "vitest";
import { paperOrderFill } from "../../src/core/trading/paper-fill";
import { paperMarketFill } from "../../src/exchange/paper-broker";
import { BACKTEST_PARAMS, replayOnHistory } from "../../src/history/lifecycle-backtest";
import { BOOK_MAX_AGE_MS, loadRecordedBooks } from "../../src/history/recorded-books";
import { HOUR_MS, loadAssetHistory } from "../../src/history/replay";
import { sharedDataDir } from "../../src/history/shared-data";

/**
 * The backtest fills through the paper broker's own fill (`paperOrderFill`, src/core): against the
 * Binance BTC perp book recorded in ../shared/data (2024-08-08 23:54 .. 2024-08-09 00:00:01 UTC)
 * when an order falls within seconds after a snapshot, else at the candle price plus the fixed
 * slippage. A decision at 00:00 fills at the 00:00 open, the one candle open the book covers.
 */
const dir = sharedDataDir();
const books = loadRecordedBooks("BTC", dir);
const history = loadAssetHistory("BTC", dir);
const at = (iso: string): number => Date.parse(iso);
const { takerFeeBps, slippageBps } = BACKTEST_PARAMS;
const candles = history.perp.filter((c) => c.ts >= at("2024-08-01T00:00:00Z") && c.ts < at("2024-08-12T00:00:00Z"));
const openAt = (ts: number): number => candles.find((c) => c.ts === ts)?.open ?? Number.NaN;

describe("backtest fills through the paper broker's fill", () => {
  it("finds the recorded BTC perp book and never hands out a book stamped after the fill, nor one older than 5 s", () => {
    expect(books).not.toBeNull();
    if (books === null) return;
    expect(books.snapshots).toBeGreaterThan(300);
    const midnight = at("2024-08-09T00:00:00Z");
    expect(books.bookAt(midnight)).not.toBeNull();
    expect(books.bookAt(books.from - 1)).toBeNull();
    expect(books.bookAt(books.to + BOOK_MAX_AGE_MS + 1)).toBeNull();
    expect(books.bookAt(at("2024-08-09T01:00:00Z"))).toBeNull();
    // From the first stamp on, not one ms before it.
    expect(books.bookAt(books.from)).not.toBeNull();
    expect(loadRecordedBooks("SOL", dir)).toBeNull();
    // Every 100 ms across the recording: the book handed out is the latest stamped at or before then.
    for (let ts = books.from - 2_000; ts <= books.to + 7_000; ts += 100) {
      const latest = books.stamps.filter((s) => s <= ts).at(-1);
      const expected = latest !== undefined && ts - latest <= BOOK_MAX_AGE_MS ? latest : null;
      expect(books.bookAt(ts)?.ts ?? null, new Date(ts).toISOString()).toBe(expected);
    }
  });

  // A short: it sells into the bids, best 61,659.7, while the open (the first trade) was the best ask, 61,659.8.
  it("a short entry at the 00:00 open walks the book recorded at 23:59:59; without books it fills at the open minus slippage", () => {
    if (books === null) throw new Error("no books");
    const decisions = [{ ts: at("2024-08-09T00:00:00Z"), side: "short" as const, horizonHours: 4 }];
    const withBooks = replayOnHistory(history, decisions, { candles, bookAt: books.bookAt });
    const without = replayOnHistory(history, decisions, { candles });
    const traded = withBooks.trades[0] ?? withBooks.unfinished;
    const plain = without.trades[0] ?? without.unfinished;
    if (traded === null || plain === null || !("position" in traded) || !("position" in plain)) throw new Error("no trade");
    const fillTs = at("2024-08-09T00:00:00Z");
    expect(traded.position.entryTs).toBe(fillTs);
    const qty = traded.position.quantity;
    const onBook = paperOrderFill({ side: "sell", quantity: qty, book: books.bookAt(fillTs), referencePrice: openAt(fillTs), takerFeeBps, slippageBps });
    const onModel = paperOrderFill({ side: "sell", quantity: qty, book: null, referencePrice: openAt(fillTs), takerFeeBps, slippageBps });
    expect(traded.position.entryPrice.eq(onBook.price)).toBe(true);
    expect(plain.position.entryPrice.eq(onModel.price)).toBe(true);
    expect(onBook.price.eq(onModel.price)).toBe(false);
    // The book's best bid, slipped: the order is small against the top level's size.
    const bestBid = books.bookAt(fillTs)?.bids[0]?.[0] ?? Number.NaN;
    expect(onBook.price.toNumber()).toBeCloseTo(bestBid * (1 - slippageBps / 10_000), 6);
    // The same numbers the paper broker's float fill gives (it books them rounded to 1e-12).
    expect(onBook.price.toNumber()).toBeCloseTo(paperMarketFill({ side: "sell", quantity: qty.toNumber(), book: books.bookAt(fillTs), referencePrice: openAt(fillTs), takerFeeBps, slippageBps }).price, 9);
  });

  it("a fill an hour away from any recorded book uses the model: the open plus the slippage, the taker fee on it", () => {
    if (books === null) throw new Error("no books");
    const decisions = [{ ts: at("2024-08-05T08:00:00Z"), side: "short" as const, horizonHours: 4 }];
    const result = replayOnHistory(history, decisions, { candles, bookAt: books.bookAt });
    const t = result.trades[0];
    if (t === undefined) throw new Error("no trade");
    const fill = paperOrderFill({ side: "sell", quantity: t.position.quantity, book: null, referencePrice: openAt(t.position.entryTs), takerFeeBps, slippageBps });
    expect(t.position.entryPrice.eq(fill.price)).toBe(true);
    expect(t.position.entryPrice.toNumber()).toBeCloseTo(openAt(t.position.entryTs) * (1 - slippageBps / 10_000), 6);
    expect(t.position.entryTs).toBe(decisions[0]!.ts + 0 * HOUR_MS);
  });
});
