import { describe, expect, it } from "vitest";
import { paperMarketFill } from "../../src/exchange/paper-broker";
import type { BookLevel } from "../../src/exchange/market-data";

const asks: BookLevel[] = [[100, 1], [101, 2], [102, 3]];
const bids: BookLevel[] = [[99, 1], [98, 2], [97, 3]];
const book = { bids, asks };
const none = { takerFeeBps: 0, slippageBps: 0 };

describe("paperMarketFill", () => {
  it("fills inside the best level at its price", () => {
    expect(paperMarketFill({ side: "buy", quantity: 0.5, book, referencePrice: 99.5, ...none })).toEqual({ price: 100, quantity: 0.5, fee: 0 });
    expect(paperMarketFill({ side: "sell", quantity: 1, book, referencePrice: 99.5, ...none })).toEqual({ price: 99, quantity: 1, fee: 0 });
  });

  it("walks the book across levels: the average price worsens with size", () => {
    // Buy 2: 1 @ 100 + 1 @ 101 = 201 → 100.5.
    expect(paperMarketFill({ side: "buy", quantity: 2, book, referencePrice: 99.5, ...none }).price).toBeCloseTo(100.5, 12);
    // Buy 4: 100 + 202 + 102 = 404 → 101.
    expect(paperMarketFill({ side: "buy", quantity: 4, book, referencePrice: 99.5, ...none }).price).toBeCloseTo(101, 12);
    // Sell 3: 99 + 196 = 295 → 98.333…
    expect(paperMarketFill({ side: "sell", quantity: 3, book, referencePrice: 99.5, ...none }).price).toBeCloseTo(295 / 3, 12);
  });

  it("fills beyond the recorded depth at the worst price seen", () => {
    // Buy 8 with 6 on the book: 100 + 202 + 306 = 608, the other 2 at 102 → 812 / 8 = 101.5.
    expect(paperMarketFill({ side: "buy", quantity: 8, book, referencePrice: 99.5, ...none }).price).toBeCloseTo(101.5, 12);
    // Sell 10 with 6 on the book: 99 + 196 + 291 = 586, 4 more at 97 → 974 / 10 = 97.4.
    expect(paperMarketFill({ side: "sell", quantity: 10, book, referencePrice: 99.5, ...none }).price).toBeCloseTo(97.4, 12);
  });

  it("fills at the reference price with no book, or an empty side", () => {
    expect(paperMarketFill({ side: "buy", quantity: 3, book: null, referencePrice: 0.8, ...none }).price).toBeCloseTo(0.8, 12);
    expect(paperMarketFill({ side: "buy", quantity: 3, book: { bids, asks: [] }, referencePrice: 0.8, ...none }).price).toBeCloseTo(0.8, 12);
  });

  it("moves the price against the taker by the slippage", () => {
    // 10 bps: buy 100.5 × 1.001 = 100.6005; sell at 99 × 0.999 = 98.901.
    expect(paperMarketFill({ side: "buy", quantity: 2, book, referencePrice: 99.5, takerFeeBps: 0, slippageBps: 10 }).price).toBeCloseTo(100.6005, 10);
    expect(paperMarketFill({ side: "sell", quantity: 1, book, referencePrice: 99.5, takerFeeBps: 0, slippageBps: 10 }).price).toBeCloseTo(98.901, 10);
    // With no book, too: 0.8 × 1.0002 = 0.80016 for a buy, 0.8 × 0.9998 = 0.79984 for a sell.
    expect(paperMarketFill({ side: "buy", quantity: 1, book: null, referencePrice: 0.8, takerFeeBps: 0, slippageBps: 2 }).price).toBeCloseTo(0.80016, 12);
    expect(paperMarketFill({ side: "sell", quantity: 1, book: null, referencePrice: 0.8, takerFeeBps: 0, slippageBps: 2 }).price).toBeCloseTo(0.79984, 12);
  });

  it("charges the taker fee on the filled notional, after slippage", () => {
    // Buy 2 at 100.6005 → notional 201.201; 5.5 bps → 0.11066055.
    const fill = paperMarketFill({ side: "buy", quantity: 2, book, referencePrice: 99.5, takerFeeBps: 5.5, slippageBps: 10 });
    expect(fill.quantity).toBe(2);
    expect(fill.fee).toBeCloseTo(0.11066055, 12);
    // The fee never reduces the price: price is the same as without it.
    expect(fill.price).toBeCloseTo(100.6005, 10);
  });
});
