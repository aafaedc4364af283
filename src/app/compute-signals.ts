import { randomBytes } from "node:crypto";
import { computeSignal } from "../core/signals/engine";
import type { Signal as EngineSignal } from "../core/signals/engine";
import { volatilityRegime } from "../core/risk/volatility-regime";
import type { App } from "./context";
import { engineParamsAt } from "./active-weights";
import { loadMarketViews } from "./market-view";
import { journalSignals, previousSignals } from "./signal-journal";
import { proposeTrades, type ProposalRequest } from "./propose-trade";
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
 * proposal in flight or an open position. The reads come first and at once (the weights, every
 * view from the process's market memory, the previous signals); the decisions are journaled in
 * one insert; the fired ones are proposed together (one transaction, one hand-off to the queue).
 */
export async function computeSignals(app: App): Promise<SignalOutcome[]> {
  const now = app.clock();
  const { symbols } = app.settings;
  const params = await engineParamsAt(app, now);
  // The views carry the funding readings this engine's rule reads (not the whole week).
  const [views, previous] = await Promise.all([loadMarketViews(app, symbols, now, { fundingRule: params.fundingAnomaly }), previousSignals(app, symbols)]);
  const decided = views.map((view) => {
    const engineSignal = computeSignal(view, params);
    // The regime caps leverage (5x when high); without enough candles it reads high, the safe side.
    const regime = volatilityRegime(view.venues.find((v) => v.venue === app.settings.tradingVenue)?.perpCandles ?? [], now);
    const decision: EngineSignal = { ...engineSignal, explanation: `${engineSignal.explanation}\n${regime.summary}` };
    return { view, decision, regime };
  });
  // Fired decisions are journaled and proposed first, the quiet ones after: a card is waiting on
  // nothing else. (The order of two inserts in one cycle; neither is ever skipped.)
  const isFired = (d: EngineSignal): d is EngineSignal & { direction: "long" | "short" } => d.fired && d.direction !== "neutral";
  const firedIndexes = decided.flatMap((d, index) => (isFired(d.decision) ? [index] : []));
  const quietIndexes = decided.flatMap((d, index) => (isFired(d.decision) ? [] : [index]));
  const stored = new Map<number, number>();
  const journal = async (indexes: readonly number[]): Promise<void> => {
    const entries = indexes.flatMap((index) => {
      const entry = decided[index];
      return entry === undefined ? [] : [{ index, symbol: entry.view.symbol, decision: entry.decision }];
    });
    const ids = await journalSignals(app, now, entries);
    entries.forEach(({ index }, k) => stored.set(index, ids[k] ?? Number.NaN));
  };
  await journal(firedIndexes);
  const fired = firedIndexes.flatMap((index) => {
    const entry = decided[index];
    if (entry === undefined || !isFired(entry.decision)) return [];
    const { view, decision, regime } = entry;
    const venueView = view.venues.find((v) => v.venue === app.settings.tradingVenue) ?? null;
    const request: ProposalRequest = {
      id: newProposalId(), symbol: view.symbol, side: decision.direction, horizonHours: decision.horizonHours, signalId: stored.get(index) ?? null, now, regime: regime.regime, venueView,
    };
    return [{ index, request }];
  });
  const proposed = await proposeTrades(app, now, fired.map((f) => f.request));
  await journal(quietIndexes);
  const resultOf = new Map(fired.map((f, k) => [f.index, proposed[k]]));
  const outcomes: SignalOutcome[] = [];
  for (const [index, { view, decision }] of decided.entries()) {
    const { symbol } = view;
    const signalId = stored.get(index) ?? Number.NaN;
    const result = resultOf.get(index);
    const skipped = result?.skipped ?? null;
    // Alert on the edge only: a signal that keeps firing every poll is news once.
    const before = previous.get(symbol);
    const isNew = !(before?.fired === true && before.direction === decision.direction);
    if (skipped !== null && isNew) {
      await sendText(app, `no-proposal-${signalId}`, `📈 ${symbol}: ${decision.direction.toUpperCase()} signal, no proposal — ${skipped}\n${decision.explanation}`, "proposal");
    }
    outcomes.push({ symbol, decision, signalId, proposalId: result?.proposalId ?? null, skipped });
  }
  return outcomes;
}
