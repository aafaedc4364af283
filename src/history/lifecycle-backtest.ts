import Decimal from "decimal.js";
import { hitRate, type HitRate } from "../core/calibration/hit-rate";
import { maxDrawdown } from "../core/metrics";
import { DEFAULT_RISK_PARAMS, type RiskParams } from "../core/risk/sizing";
import { applyAccountEvent, initialAccountState } from "../core/trading/account";
import type { ExitReason } from "../core/trading/intents";
import type { MarketSpec } from "../core/trading/proposal-terms";
import { replayTrades, type ReplayDecision, type ReplayInput, type ReplayParams, type ReplayResult } from "../core/trading/replay";
import type { Closed } from "../core/trading/types";
import { HOUR_MS, TRADING_VENUE, tradingVenueOf, type AssetHistory } from "./replay";
import type { Asset } from "./shared-data";

/**
 * The backtest as traded: fired decisions run through `replayTrades`, the one trade-lifecycle core
 * the live queue shell drives too, against the real Binance perp candles and Binance funding
 * prints. Sizing, leverage cap, 2% stop, take-profit, liquidation, horizon exit, fees, slippage,
 * funding, one trade at a time and the drawdown rules all come from the core; this file only
 * wires the history in and counts what came out.
 *
 * No lookahead: `replayTrades` sizes each decision at the last candle closed by its time (and the
 * last funding print settled by then), fills it at the next candle's open, and reads later candles
 * only to mark the open trade. The full series can be passed; `test/integration/walk-forward-trades`
 * checks that cutting it right after the last decision's horizon changes nothing.
 */

/**
 * Binance USDⓈ-M filters for BTCUSDT / ETHUSDT as published in 2024–2025 (exchangeInfo: tick,
 * step = lot, minQty, MIN_NOTIONAL; leverage brackets: the first tier's maintenance margin rate).
 * The venue has changed these over the years (MIN_NOTIONAL was 5 USDT before 2023); with a
 * 10,000 USDT account at 10% margin × 5x the orders are ~5,000 USDT, far above any of them, and
 * at 5x the liquidation price is ~19.5% away, far behind the 2% stop, so the figures do not hinge
 * on these values.
 */
export const BINANCE_PERP_SPECS: Readonly<Record<Asset, MarketSpec>> = {
  BTC: { lotSize: 0.001, minQty: 0.001, minNotional: 100, tickSize: 0.1, maintenanceMarginRate: 0.004 },
  ETH: { lotSize: 0.001, minQty: 0.001, minNotional: 20, tickSize: 0.01, maintenanceMarginRate: 0.005 },
};

/**
 * The market spec for any coin: Binance's published filters for BTC and ETH, else a default
 * derived from the coin's price (`referencePrice`, the first close the run trades on), since the
 * shared data holds no exchangeInfo for other coins: tick = 5 significant digits of the price
 * (10^(⌊log10 p⌋ − 4)), lot = the power of ten whose value at that price is 1–10 USDT
 * (10^⌈log10(1/p)⌉: 0.01 SOL at 150, 1 DOGE at 0.2 — Binance's own lots), minimum notional
 * 5 USDT (Binance's usual USDⓈ-M floor), maintenance margin 1% (at or above the first tier of
 * Binance's alt brackets, so liquidation is placed no further away than the venue would place
 * it). At 10% margin × 5x on 10,000 USDT the orders are ~5,000 USDT, so none of these bind; the
 * report says when a default was used.
 */
export function marketSpecFor(asset: string, referencePrice: number, venue: string = TRADING_VENUE): { spec: MarketSpec; derived: boolean } {
  // Binance's filters say nothing about another venue's lots and ticks: there, always the derived default.
  const known = venue === TRADING_VENUE ? (BINANCE_PERP_SPECS as Readonly<Record<string, MarketSpec>>)[asset] : undefined;
  if (known !== undefined) return { spec: known, derived: false };
  if (!(referencePrice > 0)) throw new Error(`No price to derive a market spec for ${asset} from.`);
  const power = (e: number): number => Number(`1e${e}`);
  const lot = power(Math.ceil(Math.log10(1 / referencePrice)));
  return { spec: { lotSize: lot, minQty: lot, minNotional: 5, tickSize: power(Math.floor(Math.log10(referencePrice)) - 4), maintenanceMarginRate: 0.01 }, derived: true };
}

/**
 * The signal report's trading assumptions (fixed, never tuned on the results). Fills are the
 * paper broker's (`paperOrderFill`): with no recorded book at the fill time — every fill but
 * those within seconds after a recorded snapshot — the model is the candle price the order meets
 * (the next open for an entry; the stop or take-profit level, or the open past it on a gap, for
 * an exit) moved 2 bp against the order, plus the 5.5 bp taker fee on the filled notional.
 */
export const BACKTEST_PARAMS: ReplayParams = {
  risk: DEFAULT_RISK_PARAMS,
  rewardToRisk: 1.5,
  takerFeeBps: 5.5,
  slippageBps: 2,
  ttlMinutes: 30,
  fundingIntervalHours: 8,
  // The terms are checked against the candle they were priced on (the replay has no book), so
  // drift and spread never bite; the quote-age limit refuses a decision made across a candle gap.
  approval: { maxPriceDriftFraction: 0.005, maxSpreadFraction: 0.002, maxQuoteAgeMs: 2 * HOUR_MS },
};

export const BACKTEST_STARTING_EQUITY = new Decimal(10_000);

export interface LifecycleBacktestOptions {
  readonly params?: ReplayParams;
  readonly startingEquity?: Decimal;
  readonly market?: MarketSpec;
  /** Defaults to the whole Binance perp series and all its funding prints. */
  readonly candles?: ReplayInputCandles;
  readonly fundingPrints?: readonly { readonly ts: number; readonly rate: number }[];
  /** Books recorded on the venue (`loadRecordedBooks`): fills at those times walk them. Default none. */
  readonly bookAt?: ReplayInput["bookAt"];
}
type ReplayInputCandles = Parameters<typeof replayTrades>[0]["candles"];

/** Runs `decisions` on the asset's perp on its trading venue (Binance unless the history says) through the lifecycle core. */
export function replayOnHistory(history: AssetHistory<string>, decisions: readonly ReplayDecision[], options: LifecycleBacktestOptions = {}): ReplayResult {
  const venue = tradingVenueOf(history);
  const funding = history.funding.find((f) => f.venue === venue);
  if (funding === undefined) throw new Error(`No ${venue} funding for ${history.asset}.`);
  return replayTrades({
    symbol: history.symbol,
    venue,
    decisions,
    candles: options.candles ?? history.perp,
    fundingPrints: options.fundingPrints ?? funding.prints,
    startingEquity: options.startingEquity ?? BACKTEST_STARTING_EQUITY,
    params: options.params ?? BACKTEST_PARAMS,
    market: options.market ?? marketSpecFor(history.asset, history.perp[0]?.close ?? Number.NaN).spec,
    ...(options.bookAt === undefined ? {} : { bookAt: options.bookAt }),
  });
}

/** Why a decision was not traded, in a few buckets (the replay's own words are kept for "other"). */
export function skipCategory(reason: string): string {
  if (/ trade is already /.test(reason)) return "symbol busy (one trade at a time)";
  if (/paused by the drawdown rule/.test(reason)) return "paused by the drawdown rule";
  if (/^Too small to trade/.test(reason)) return "below the venue minimum";
  if (/ s old \(the limit is /.test(reason) || /^No (later )?candle/.test(reason)) return "no fresh candle (data gap or edge)";
  if (/price moved/.test(reason)) return "price drifted";
  return `other: ${reason}`;
}

export interface LifecycleSummary {
  readonly decisions: number;
  /** Entered (closed trades plus one still open when the candles end). */
  readonly taken: number;
  readonly closed: number;
  readonly skipped: number;
  readonly skippedBy: ReadonlyMap<string, number>;
  /** Closed trades with realized PnL > 0, after fees, slippage and funding. */
  readonly winRate: HitRate;
  readonly averageWin: Decimal;
  /** Positive number: the average size of a losing trade. */
  readonly averageLoss: Decimal;
  readonly rewardToRisk: number;
  readonly expectancy: Decimal;
  /** Mean of PnL / R, with 1 R = the planned loss at the stop (|entry − stop| × qty), before costs. */
  readonly expectancyR: number;
  readonly totalPnl: Decimal;
  readonly totalFees: Decimal;
  /** Received (positive) or paid (negative). */
  readonly totalFunding: Decimal;
  readonly exits: ReadonlyMap<ExitReason, number>;
  /** Peak-to-trough of the hourly mark-to-market equity curve, as a fraction of the peak. */
  readonly maxDrawdown: number;
  readonly finalEquity: number;
  /** Times the drawdown rule switched to half size, and times it paused trading. */
  readonly sizeHalvings: number;
  readonly pauses: number;
  /** Trades entered while size was halved. */
  readonly tradesAtHalfSize: number;
}

const count = <K>(map: Map<K, number>, key: K): void => void map.set(key, (map.get(key) ?? 0) + 1);

/** 1 R of a trade: what it would lose at its stop before costs. */
export function riskUnit(trade: Closed): Decimal {
  return trade.position.entryPrice.minus(trade.position.stopPrice).abs().times(trade.position.quantity);
}

/**
 * The account's drawdown actions, recomputed by feeding the replay's equity curve through the same
 * account core in the same order the replay did (one equity reading per candle close), since
 * `replayTrades` returns the curve but not the account's history.
 */
export function drawdownActions(equityCurve: ReplayResult["equityCurve"], startingEquity: Decimal, risk: RiskParams): { sizeHalvings: number; pauses: number; halvedAt: (ts: number) => boolean } {
  let account = initialAccountState(startingEquity);
  let sizeHalvings = 0;
  let pauses = 0;
  const halved: { ts: number; on: boolean }[] = [];
  let seen = Number.NaN;
  for (const point of equityCurve) {
    // The equity the account last saw, with no drawdown pause running: its step would be the
    // identity (no new peak, the same drawdown: nothing halves, restores, pauses or ends), as in
    // replayTrades. Flat stretches of the curve are most of it.
    if (point.equity === seen && account.pausedUntil === null) continue;
    seen = point.equity;
    const next = applyAccountEvent(account, { kind: "equity", equity: new Decimal(point.equity) }, point.ts, risk);
    if (!next.ok) continue;
    if (next.state.sizeHalved !== account.sizeHalved) halved.push({ ts: point.ts, on: next.state.sizeHalved });
    if (next.state.sizeHalved && !account.sizeHalved) sizeHalvings += 1;
    if (next.state.reviewSeq > account.reviewSeq) pauses += 1;
    account = next.state;
  }
  const halvedAt = (ts: number): boolean => {
    let on = false;
    for (const h of halved) {
      if (h.ts > ts) break;
      on = h.on;
    }
    return on;
  };
  return { sizeHalvings, pauses, halvedAt };
}

export function summarizeReplay(decisions: number, result: ReplayResult, startingEquity = BACKTEST_STARTING_EQUITY, risk = DEFAULT_RISK_PARAMS): LifecycleSummary {
  const { trades } = result;
  const zero = new Decimal(0);
  const sum = (xs: readonly Decimal[]): Decimal => xs.reduce((a, b) => a.plus(b), zero);
  const wins = trades.filter((t) => t.realizedPnl.gt(0));
  const losses = trades.filter((t) => !t.realizedPnl.gt(0));
  const averageWin = wins.length > 0 ? sum(wins.map((t) => t.realizedPnl)).div(wins.length) : zero;
  const averageLoss = losses.length > 0 ? sum(losses.map((t) => t.realizedPnl)).div(losses.length).abs() : zero;
  const totalPnl = sum(trades.map((t) => t.realizedPnl));
  const skippedBy = new Map<string, number>();
  for (const s of result.skipped) count(skippedBy, skipCategory(s.reason));
  const exits = new Map<ExitReason, number>();
  for (const t of trades) count(exits, t.reason);
  const actions = drawdownActions(result.equityCurve, startingEquity, risk);
  const rs = trades.map((t) => t.realizedPnl.div(riskUnit(t)).toNumber());
  return {
    decisions,
    // An order still submitting when the candles end was proposed but never filled: not taken.
    taken: trades.length + (result.unfinished !== null && "position" in result.unfinished ? 1 : 0),
    closed: trades.length,
    skipped: result.skipped.length,
    skippedBy,
    winRate: hitRate(wins.length, trades.length),
    averageWin,
    averageLoss,
    rewardToRisk: averageLoss.gt(0) ? averageWin.div(averageLoss).toNumber() : Number.NaN,
    expectancy: trades.length > 0 ? totalPnl.div(trades.length) : zero,
    expectancyR: rs.length > 0 ? rs.reduce((a, b) => a + b, 0) / rs.length : Number.NaN,
    totalPnl,
    totalFees: sum(trades.map((t) => t.position.fees)),
    totalFunding: sum(trades.map((t) => t.position.funding)),
    exits,
    maxDrawdown: maxDrawdown([startingEquity.toNumber(), ...result.equityCurve.map((p) => p.equity)]),
    finalEquity: result.equityCurve.at(-1)?.equity ?? startingEquity.toNumber(),
    sizeHalvings: actions.sizeHalvings,
    pauses: actions.pauses,
    // The replay sizes at the decision with the account as of the last candle close before it.
    tradesAtHalfSize: trades.filter((t) => actions.halvedAt(t.terms.createdAt)).length,
  };
}
