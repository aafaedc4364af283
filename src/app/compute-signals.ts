import { transact } from "../store/database";
import { randomBytes } from "node:crypto";
import { computeSignal } from "../core/signals/engine";
import type { Signal as EngineSignal } from "../core/signals/engine";
import type { VolatilityRegime } from "../core/risk/sizing";
import type { VenueView } from "../core/signals/types";
import { sizeMultiplier, tradingGate } from "../core/trading/account";
import { describeStatus, isActive } from "../core/trading/lifecycle";
import { buildProposalTerms } from "../core/trading/proposal-terms";
import type { TradeStatus } from "../core/trading/types";
import { insertProposal } from "../store/trade-repo";
import { volatilityRegime } from "../core/risk/volatility-regime";
import type { App } from "./context";
import { engineParamsAt } from "./active-weights";
import { loadMarketView } from "./market-view";
import { currentEquity } from "./portfolio";
import { approveProposal } from "./decide-proposal";
import { sendText } from "./send-text";
import { readAccount } from "./trading-state";

const ALL_STATUSES: readonly TradeStatus[] = ["pending", "approved", "rejected", "expired", "submitting", "unknown", "failed", "open", "closing", "closed"];
/** A symbol with a trade in one of these states gets no second proposal. */
const ACTIVE_STATUSES: TradeStatus[] = ALL_STATUSES.filter(isActive);

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
      const venueView = view.venues.find((v) => v.venue === app.settings.tradingVenue) ?? null;
      const result = await proposeTrade(app, symbol, decision.direction, decision.horizonHours, signal.id, now, regime.regime, venueView);
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

async function proposeTrade(
  app: App, symbol: string, side: "long" | "short", horizonHours: number, signalId: number, now: number, regime: VolatilityRegime,
  /** The trading venue's price and funding in the market view (which holds fresh venues only), or null. */
  venueView: VenueView | null,
): Promise<{ proposalId: string | null; skipped: string | null }> {
  const venue = app.settings.tradingVenue;
  const price = venueView?.price ?? null;
  if (price === null || !(price > 0)) return { proposalId: null, skipped: `no fresh price for ${symbol} on ${venue}, the trading venue.` };
  const equity = await currentEquity(app, now);
  const profile = app.settings.engine.ensemble.profile;
  const id = newProposalId();
  const created = await transact(app.db, async (tx) => {
    // Gate and one-trade-per-symbol are read in the same transaction that writes the proposal.
    const account = await readAccount(app, tx);
    const gate = tradingGate(account, now);
    if (!gate.open) return { skipped: gate.reason, ids: [] as string[] };
    const busy = await tx.proposal.findFirst({ where: { symbol, status: { in: ACTIVE_STATUSES } } });
    if (busy) return { skipped: `${symbol} already has ${busy.status === "pending" ? "an unanswered" : `a trade that is ${describeStatus(busy.status as TradeStatus)}`} (${busy.id}).`, ids: [] };
    const terms = buildProposalTerms({
      id, symbol, venue, side, signalId, now, equity, price, regime, sizeHalved: sizeMultiplier(account) < 1, market: app.settings.market,
      fundingRate: venueView?.funding?.current.rate ?? null, fundingIntervalHours: venueView?.funding?.intervalHours ?? 8, horizonHours,
      params: {
        risk: app.settings.risk, rewardToRisk: app.settings.rewardToRisk, takerFeeBps: app.settings.takerFeeBps, slippageBps: app.settings.slippageBps,
        ttlMinutes: app.settings.proposalTtlMinutes, autoExecute: app.settings.autoExecuteProfiles.includes(profile),
      },
    });
    if (!terms.ok) return { skipped: terms.reason, ids: [] };
    return { skipped: null, ids: await insertProposal(tx, terms.terms, [{ kind: "card", proposalId: id }], now), auto: terms.terms.autoExecute };
  });
  if (created.skipped !== null) return { proposalId: null, skipped: created.skipped };
  await app.dispatch(created.ids);
  if ("auto" in created && created.auto) {
    // Opt-in auto-execute: the same approval path a person's press takes, re-checks included.
    await approveProposal(app, id, { auto: `auto-execute (${profile} profile)` }).catch((error: unknown) => {
      app.logger.warn({ proposalId: id, reason: error instanceof Error ? error.message : String(error) }, "auto-execute declined; the proposal waits for a person");
    });
  }
  return { proposalId: id, skipped: null };
}
