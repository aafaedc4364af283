import { randomBytes } from "node:crypto";
import { computeSignal } from "../core/signals/engine";
import type { Signal as EngineSignal } from "../core/signals/engine";
import { sizePosition, type VolatilityRegime } from "../core/risk/sizing";
import { volatilityRegime } from "../core/risk/volatility-regime";
import type { App } from "./context";
import { engineParamsAt } from "./active-weights";
import { loadMarketView } from "./market-view";
import { currentEquity } from "./portfolio";
import { readDrawdownState, tradingGate } from "./trading-state";

export interface SignalOutcome {
  readonly symbol: string;
  readonly decision: EngineSignal;
  readonly signalId: number;
  readonly proposalId: string | null;
  /** Why no proposal was made for a fired signal. */
  readonly skipped: string | null;
}

/** Short ids fit Telegram's 64-byte callback data with room to spare, and read well in chat. */
export const newProposalId = (): string => `p${randomBytes(6).toString("hex")}`;

/**
 * Runs the engine for every symbol, journals every decision (fired or not), and turns a fired
 * signal into a pending proposal — unless trading is paused, or the symbol already has a
 * proposal in flight or an open position.
 */
export async function computeSignals(app: App): Promise<SignalOutcome[]> {
  const now = app.clock();
  const outcomes: SignalOutcome[] = [];
  for (const symbol of app.settings.symbols) {
    const view = await loadMarketView(app, symbol, now);
    const engineSignal = computeSignal(view, await engineParamsAt(app, now));
    // The regime caps leverage (5x when high); without enough candles it reads high, the safe side.
    const regime = volatilityRegime(view.venues.find((v) => v.venue === app.settings.tradingVenue)?.perpCandles ?? [], now);
    const decision = { ...engineSignal, explanation: `${engineSignal.explanation}\n${regime.summary}` };
    const previous = await app.db.signal.findFirst({ where: { symbol }, orderBy: { ts: "desc" } });
    // Alert on the edge only: a signal that keeps firing every poll is news once.
    const isNew = !(previous?.fired === true && previous.direction === decision.direction);
    const signal = await app.db.signal.create({
      data: {
        symbol, venue: app.settings.tradingVenue, ts: new Date(now), direction: decision.direction, fired: decision.fired,
        score: decision.score, confidence: decision.confidence, horizonHours: decision.horizonHours,
        explanation: decision.explanation, streamsJson: JSON.stringify(decision.streams), modelVersion: decision.modelVersion,
        crossConfirmed: decision.confirmedAcrossExchanges,
      },
    });
    let proposalId: string | null = null;
    let skipped: string | null = null;
    if (decision.fired && decision.direction !== "neutral") {
      const price = view.venues.find((v) => v.venue === app.settings.tradingVenue)?.price ?? null;
      const result = await proposeTrade(app, symbol, decision.direction, decision.horizonHours, signal.id, now, regime.regime, price);
      proposalId = result.proposalId;
      skipped = result.skipped;
      if (skipped !== null && isNew) {
        await app.notify({ kind: "text", text: `📈 ${symbol}: ${decision.direction.toUpperCase()} signal, no proposal — ${skipped}\n${decision.explanation}` });
      }
    }
    outcomes.push({ symbol, decision, signalId: signal.id, proposalId, skipped });
  }
  return outcomes;
}

async function proposeTrade(
  app: App, symbol: string, side: "long" | "short", horizonHours: number, signalId: number, now: number, regime: VolatilityRegime,
  /** The trading venue's price in the market view (which holds fresh venues only), or null. */
  price: number | null,
): Promise<{ proposalId: string | null; skipped: string | null }> {
  const gate = await tradingGate(app);
  if (!gate.open) return { proposalId: null, skipped: gate.reason };
  const busy = await app.db.proposal.findFirst({ where: { symbol, status: { in: ["pending", "approved", "open"] } } });
  if (busy) return { proposalId: null, skipped: `${symbol} already has an ${busy.status === "pending" ? "unanswered" : busy.status} trade (${busy.id}).` };
  const venue = app.settings.tradingVenue;
  if (price === null || !(price > 0)) {
    return { proposalId: null, skipped: `no fresh price for ${symbol} on ${venue}, the trading venue.` };
  }
  const drawdown = await readDrawdownState(app);
  const equity = await currentEquity(app, now);
  const size = sizePosition({ side, equity, price, regime, sizeMultiplier: drawdown.sizeHalved ? 0.5 : 1, params: app.settings.risk });
  if (size.quantity <= 0) return { proposalId: null, skipped: "equity is exhausted; nothing to trade with." };
  const id = newProposalId();
  await app.db.proposal.create({
    data: {
      id, signalId, symbol, venue, side, status: "pending", refPrice: price, quantity: size.quantity, notionalUsd: size.notionalUsd,
      marginUsd: size.marginUsd, leverage: size.leverage, stopPrice: size.stopPrice, horizonHours,
      createdAt: new Date(now), expiresAt: new Date(now + app.settings.proposalTtlMinutes * 60_000),
    },
  });
  await app.notify({ kind: "proposal", proposalId: id });
  return { proposalId: id, skipped: null };
}
