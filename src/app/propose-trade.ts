import type { VolatilityRegime } from "../core/risk/sizing";
import type { VenueView } from "../core/signals/types";
import { sizeMultiplier, tradingGate } from "../core/trading/account";
import { describeStatus, isActive } from "../core/trading/lifecycle";
import { buildProposalTerms, type MarketSpec } from "../core/trading/proposal-terms";
import type { TradeStatus } from "../core/trading/types";
import { isLive } from "../exchange/broker";
import { ExchangeError, venueName } from "../exchange/errors";
import { transact } from "../store/database";
import { insertProposal } from "../store/trade-repo";
import type { App } from "./context";
import { approveProposal } from "./decide-proposal";
import { currentEquity } from "./portfolio";
import { readAccount } from "./trading-state";

const ALL_STATUSES: readonly TradeStatus[] = ["pending", "approved", "rejected", "expired", "submitting", "unknown", "failed", "open", "closing", "closed"];
/** A symbol with a trade in one of these states gets no second proposal. */
const ACTIVE_STATUSES: TradeStatus[] = ALL_STATUSES.filter(isActive);

export interface ProposalRequest {
  readonly id: string;
  readonly symbol: string;
  readonly side: "long" | "short";
  readonly horizonHours: number;
  readonly signalId: number | null;
  readonly now: number;
  readonly regime: VolatilityRegime;
  /** The trading venue's price and funding in the market view (which holds fresh venues only), or null. */
  readonly venueView: Pick<VenueView, "price" | "funding"> | null;
}

/**
 * Turns a fired signal into a pending proposal with everything a desk needs (size, leverage,
 * stop, take-profit, liquidation estimate, expected costs, expiry) — unless trading is paused,
 * the symbol already has a trade in flight, or the venue's minimums refuse it; the reason is
 * returned in plain words. The gate and the busy check are read in the transaction that writes
 * the proposal. With auto-execute on for the profile, it is approved at once through the same
 * path a person's press takes, re-checks included. Live, the lot, minimums and tick are the
 * venue's own for the symbol, asked before the transaction; a venue that cannot be asked means
 * no proposal this time (never configured guesses), and the next poll asks again.
 */
export async function proposeTrade(app: App, request: ProposalRequest): Promise<{ proposalId: string | null; skipped: string | null }> {
  const { id, symbol, side, horizonHours, signalId, now, regime, venueView } = request;
  const venue = app.settings.tradingVenue;
  const price = venueView?.price ?? null;
  if (price === null || !(price > 0)) return { proposalId: null, skipped: `no fresh price for ${symbol} on ${venue}, the trading venue.` };
  const market = await marketSpecFor(app, venue, symbol);
  if (!market.ok) return { proposalId: null, skipped: market.reason };
  const equity = await currentEquity(app, now);
  const profile = app.settings.engine.ensemble.profile;
  const created = await transact(app.db, async (tx) => {
    const account = await readAccount(app, tx);
    const gate = tradingGate(account, now);
    if (!gate.open) return { skipped: gate.reason, ids: [] as string[], auto: false };
    const busy = await tx.proposal.findFirst({ where: { symbol, status: { in: ACTIVE_STATUSES } } });
    if (busy) return { skipped: `${symbol} already has ${busy.status === "pending" ? "an unanswered proposal" : `a trade that is ${describeStatus(busy.status as TradeStatus)}`} (${busy.id}).`, ids: [], auto: false };
    const terms = buildProposalTerms({
      id, symbol, venue, side, signalId, now, equity, price, regime, sizeHalved: sizeMultiplier(account) < 1, market: market.spec,
      fundingRate: venueView?.funding?.current.rate ?? null, fundingIntervalHours: venueView?.funding?.intervalHours ?? 8, horizonHours,
      params: {
        risk: app.settings.risk, rewardToRisk: app.settings.rewardToRisk, takerFeeBps: app.settings.takerFeeBps, slippageBps: app.settings.slippageBps,
        ttlMinutes: app.settings.proposalTtlMinutes, autoExecute: app.settings.autoExecuteProfiles.includes(profile),
      },
    });
    if (!terms.ok) return { skipped: terms.reason, ids: [], auto: false };
    return { skipped: null, ids: await insertProposal(tx, terms.terms, [{ kind: "card", proposalId: id }], now), auto: terms.terms.autoExecute };
  });
  if (created.skipped !== null) return { proposalId: null, skipped: created.skipped };
  await app.dispatch(created.ids);
  if (created.auto) {
    await approveProposal(app, id, { auto: `auto-execute (${profile} profile)` }).catch((error: unknown) => {
      app.logger.warn({ proposalId: id, reason: error instanceof Error ? error.message : String(error) }, "auto-execute declined; the proposal waits for a person");
    });
  }
  return { proposalId: id, skipped: null };
}

/**
 * The market rules to size with: the live venue's own for the symbol (its listing, cached by the
 * broker; the configured minimum order value only where the venue states none, and the configured
 * maintenance margin rate), or the configured ones on paper.
 */
async function marketSpecFor(app: App, venue: string, symbol: string): Promise<{ ok: true; spec: MarketSpec } | { ok: false; reason: string }> {
  if (!isLive(app.broker)) return { ok: true, spec: app.settings.market };
  try {
    return { ok: true, spec: await app.broker.marketSpec(venue, symbol, app.settings.market) };
  } catch (error) {
    if (!(error instanceof ExchangeError)) throw error;
    app.logger.warn({ venue, symbol, kind: error.kind, error: error.message }, "no proposal: the venue's lot and minimums could not be read; the next poll asks again");
    return { ok: false, reason: `The lot size and minimums of ${symbol} could not be read from ${venueName(venue)}: ${error.message} No proposal is sized on guessed values; the next poll asks again.` };
  }
}
