import { randomBytes } from "node:crypto";
import { computeSignal } from "../core/signals/engine";
import type { Signal as EngineSignal } from "../core/signals/engine";
import { volatilityRegime } from "../core/risk/volatility-regime";
import type { App } from "./context";
import { engineParamsAt } from "./active-weights";
import { loadMarketView } from "./market-view";
import { proposeTrade } from "./propose-trade";
import { sendText } from "./send-text";

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
 * proposal in flight or an open position. Everything the cycle reads (the weights once, every
 * symbol's market view and previous signal) is read concurrently up front: those reads do not
 * depend on the cycle's own writes. The writes (journal, proposals) stay one symbol after another,
 * in the configured order, as before.
 */
export async function computeSignals(app: App): Promise<SignalOutcome[]> {
  const now = app.clock();
  const { symbols } = app.settings;
  const [params, reads] = await Promise.all([
    engineParamsAt(app, now),
    Promise.all(symbols.map(async (symbol) => {
      const [view, previous] = await Promise.all([
        loadMarketView(app, symbol, now),
        app.db.signal.findFirst({ where: { symbol }, orderBy: { ts: "desc" } }),
      ]);
      return { symbol, view, previous };
    })),
  ]);
  const outcomes: SignalOutcome[] = [];
  for (const { symbol, view, previous } of reads) {
    const engineSignal = computeSignal(view, params);
    // The regime caps leverage (5x when high); without enough candles it reads high, the safe side.
    const regime = volatilityRegime(view.venues.find((v) => v.venue === app.settings.tradingVenue)?.perpCandles ?? [], now);
    const decision = { ...engineSignal, explanation: `${engineSignal.explanation}\n${regime.summary}` };
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
      const venueView = view.venues.find((v) => v.venue === app.settings.tradingVenue) ?? null;
      const result = await proposeTrade(app, { id: newProposalId(), symbol, side: decision.direction, horizonHours: decision.horizonHours, signalId: signal.id, now, regime: regime.regime, venueView });
      proposalId = result.proposalId;
      skipped = result.skipped;
      if (skipped !== null && isNew) {
        await sendText(app, `no-proposal-${signal.id}`, `📈 ${symbol}: ${decision.direction.toUpperCase()} signal, no proposal — ${skipped}\n${decision.explanation}`);
      }
    }
    outcomes.push({ symbol, decision, signalId: signal.id, proposalId, skipped });
  }
  return outcomes;
}
