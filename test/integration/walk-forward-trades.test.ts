import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import type { Closed, ReplayDecision } from "../../src/core/trading";
import { paperOrderFill } from "../../src/core/trading/paper-fill";
import { BACKTEST_PARAMS, replayOnHistory, summarizeReplay } from "../../src/history/lifecycle-backtest";
import { HOUR_MS, TRADING_VENUE, type AssetHistory } from "../../src/history/replay";
import { loadBinanceCandles, loadBinanceFunding } from "../../src/history/shared-data";

/**
 * The signal report's lifecycle section (`replayOnHistory` → `replayTrades`) on a real slice of
 * ../shared/data: the Binance BTC perp and its funding prints, May–June 2022 (the Terra and
 * Celsius crashes, so stops, take-profits and the drawdown rules all happen). The decisions are a
 * plain rule on the same data, known at each decision time: every 4 h, against the sign of the
 * last settled funding print, held 12 h, so they overlap and one-trade-at-a-time has to act.
 */
const utc = (iso: string): number => Date.parse(iso);
const FROM = utc("2022-05-01T00:00:00Z");
const TO = utc("2022-06-30T00:00:00Z");
const HORIZON = 12;

// A month either side of the decisions is plenty; the replay would read the whole series the same way.
const inSlice = (ts: number): boolean => ts >= FROM - 30 * 24 * HOUR_MS && ts < TO + 30 * 24 * HOUR_MS;
const prints = loadBinanceFunding("BTC").filter((p) => inSlice(p.ts));
const history: AssetHistory = {
  asset: "BTC", symbol: "BTC/USDT:USDT", perp: loadBinanceCandles("BTC", "perp").filter((c) => inSlice(c.ts)), spot: [],
  funding: [{ venue: TRADING_VENUE, intervalHours: 8, prints }],
};

const decisions: ReplayDecision[] = [];
for (let ts = FROM, k = 0; ts <= TO; ts += 4 * HOUR_MS) {
  while (k < prints.length && (prints[k]?.ts ?? Infinity) <= ts) k++;
  const rate = prints[k - 1]?.rate ?? 0;
  decisions.push({ ts, side: rate > 0 ? "short" : "long", horizonHours: HORIZON });
}
const result = replayOnHistory(history, decisions);
const sign = (t: Closed): number => (t.terms.side === "long" ? 1 : -1);
const closeAt = new Map(history.perp.map((c) => [c.ts + HOUR_MS, c.close]));
const openAt = new Map(history.perp.map((c) => [c.ts, c.open]));

describe("walk-forward decisions traded through the lifecycle (real BTC, May–June 2022)", () => {
  it("takes one trade at a time: overlapping decisions are skipped while a trade is open, every decision is accounted for", () => {
    const { trades, skipped, unfinished } = result;
    expect(trades.length).toBeGreaterThan(20);
    expect(trades.length + (unfinished ? 1 : 0)).toBeLessThan(decisions.length);
    // Each decision either became a trade or was skipped, with a reason: nothing vanished.
    const tradedAt = [...trades.map((t) => t.terms.createdAt), ...(unfinished ? [unfinished.terms.createdAt] : [])];
    expect([...tradedAt, ...skipped.map((s) => s.ts)].sort((a, b) => a - b)).toEqual(decisions.map((d) => d.ts));
    // Holds never overlap.
    for (let i = 1; i < trades.length; i++) {
      const prev = trades[i - 1] as Closed;
      const cur = trades[i] as Closed;
      expect(cur.terms.createdAt).toBeGreaterThanOrEqual(prev.closedAt);
      expect(cur.position.entryTs).toBeGreaterThanOrEqual(prev.closedAt);
    }
    // A "busy" skip happens exactly while some trade runs (from its decision to the candle after its exit).
    const busy = skipped.filter((s) => / trade is already /.test(s.reason));
    expect(busy.length).toBeGreaterThan(trades.length / 2);
    for (const s of busy) {
      const running = trades.some((t) => t.terms.createdAt <= s.ts && s.ts < t.closedAt + HOUR_MS) || (unfinished !== null && unfinished.terms.createdAt <= s.ts);
      expect(running, new Date(s.ts).toISOString()).toBe(true);
    }
  });

  it("books each closed trade's PnL as side × (exit − entry) × qty − fees + funding, exactly, with fees and funding from the data", () => {
    const { takerFeeBps, slippageBps } = BACKTEST_PARAMS;
    for (const t of result.trades) {
      const p = t.position;
      const exit = t.exit.avgPrice as Decimal;
      expect(t.exit.filledQty.eq(p.quantity)).toBe(true);
      const expected = exit.minus(p.entryPrice).times(p.quantity).times(sign(t)).minus(p.fees).plus(p.funding);
      expect(t.realizedPnl.eq(expected), `${t.terms.id}: ${t.realizedPnl.toString()} vs ${expected.toString()}`).toBe(true);
      // Entry at the open of the first candle at or after the decision, slipped against us by the
      // paper broker's own fill (no book recorded then: the open plus the slippage, 1e-12 rounded).
      expect(p.entryTs).toBe(Math.ceil(t.terms.createdAt / HOUR_MS) * HOUR_MS);
      const entry = paperOrderFill({ side: sign(t) > 0 ? "buy" : "sell", quantity: p.quantity, book: null, referencePrice: openAt.get(p.entryTs) ?? NaN, takerFeeBps, slippageBps });
      expect(p.entryPrice.eq(entry.price)).toBe(true);
      expect(p.entryPrice.minus(new Decimal(openAt.get(p.entryTs) ?? NaN).times(1 + sign(t) * slippageBps / 10_000)).abs().lte(1e-9)).toBe(true);
      // Taker fee on both legs' fill prices (slippage already in them, except the venue's liquidation price).
      const exitFee = exit.times(p.quantity).times(takerFeeBps).div(10_000);
      expect(p.fees.eq(entry.fee.plus(t.reason === "liquidation" ? exitFee : exitFee.toDecimalPlaces(12))), t.terms.id).toBe(true);
      // Funding: every Binance print in (entry, exit] (stamps snapped to the minute), on the held
      // quantity at the close of the hour it settles.
      let funding = new Decimal(0);
      for (const f of prints) {
        const ts = Math.round(f.ts / 60_000) * 60_000;
        if (ts > p.entryTs && ts <= t.closedAt) funding = funding.plus(p.quantity.times(closeAt.get(ts) ?? NaN).times(f.rate).times(-sign(t)));
      }
      expect(p.funding.eq(funding), `${t.terms.id}: funding ${p.funding.toString()} vs ${funding.toString()}`).toBe(true);
    }
    expect(result.trades.some((t) => !t.position.funding.isZero())).toBe(true);
  });

  it("a stop-loss loses about 2% of notional plus costs", () => {
    const stops = result.trades.filter((t) => t.reason === "stop-loss");
    expect(stops.length).toBeGreaterThan(3);
    for (const t of stops) {
      const p = t.position;
      const notional = p.entryPrice.times(p.quantity);
      const move = (t.exit.avgPrice as Decimal).minus(p.entryPrice).times(p.quantity).times(sign(t)).div(notional).toNumber();
      // 2% to the stop (rounded to the tick towards the entry), plus 2 bp exit slippage; a candle
      // that opened beyond the stop fills at its open, which is worse.
      // (A stop exit is stamped at the open of the candle that reached it.)
      const gapped = sign(t) * ((openAt.get(t.closedAt) ?? NaN) - p.stopPrice) <= 0;
      if (gapped) expect(move).toBeLessThan(-0.0202);
      else expect(move).toBeCloseTo(-0.0202, 3);
      const fees = p.fees.div(notional).toNumber();
      expect(fees).toBeGreaterThan(0.00105); // 5.5 bp on each leg
      expect(fees).toBeLessThan(0.00115);
      expect(Math.abs(p.funding.div(notional).toNumber())).toBeLessThan(0.002);
      expect(t.realizedPnl.div(notional).toNumber()).toBeCloseTo(move - fees + p.funding.div(notional).toNumber(), 12);
      expect(t.realizedPnl.div(notional).toNumber()).toBeLessThan(-0.021);
    }
  });

  it("gives the same result with the candles and prints cut right after the last decision's horizon (no lookahead)", () => {
    const end = (decisions.at(-1) as ReplayDecision).ts + HORIZON * HOUR_MS;
    const cut = replayOnHistory(history, decisions, {
      candles: history.perp.filter((c) => c.ts + HOUR_MS <= end),
      fundingPrints: prints.filter((f) => f.ts <= end),
    });
    // Compared as JSON (Decimals as their exact strings): a deep toEqual over Decimal objects is slow.
    const same = (a: unknown, b: unknown): void => expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    same(cut.trades, result.trades);
    same(cut.skipped, result.skipped);
    same(cut.unfinished, result.unfinished);
    same(cut.equityCurve, result.equityCurve.slice(0, cut.equityCurve.length));
    // And cut just after a decision in the middle: everything decided before it is unchanged.
    const mid = decisions[Math.floor(decisions.length / 2)] as ReplayDecision;
    const early = replayOnHistory(history, decisions.filter((d) => d.ts <= mid.ts), { candles: history.perp.filter((c) => c.ts + HOUR_MS <= mid.ts + HORIZON * HOUR_MS) });
    same(early.trades, result.trades.filter((t) => t.terms.createdAt <= mid.ts));
    same(early.skipped, result.skipped.filter((s) => s.ts <= mid.ts));
  });

  it("summarizes what the report prints", () => {
    const s = summarizeReplay(decisions.length, result);
    expect(s.taken).toBe(result.trades.length + (result.unfinished ? 1 : 0));
    expect(s.skipped + s.taken).toBe(decisions.length);
    expect([...s.exits.values()].reduce((a, b) => a + b, 0)).toBe(s.closed);
    if (result.unfinished === null) expect(s.totalPnl.plus(10_000).toNumber()).toBeCloseTo(s.finalEquity, 6);
    expect(s.sizeHalvings).toBeGreaterThan(0);
    expect(s.winRate.total).toBe(s.closed);
  });
});
