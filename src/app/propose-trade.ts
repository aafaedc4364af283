import type { VolatilityRegime } from "../core/risk/sizing";
import type { VenueView } from "../core/signals/types";
import { sizeMultiplier, tradingGate } from "../core/trading/account";
import { describeStatus, isActive } from "../core/trading/lifecycle";
import { buildProposalTerms, type MarketSpec } from "../core/trading/proposal-terms";
import type { ProposalTerms } from "../core/trading/types";
import type { TradeStatus } from "../core/trading/types";
import { isLive } from "../exchange/broker";
import { ExchangeError, venueName } from "../exchange/errors";
import { transact } from "../store/database";
import { insertProposalsWithCards } from "../store/trade-repo";
import { retryOnConflict } from "../store/guard-rows";
import { claimSymbol, readSymbolClaims, type SymbolClaim } from "../store/symbol-claims";
import type { App } from "./context";
import { activeRiskProfile } from "./risk-profile";
import { approveProposal } from "./decide-proposal";
import { currentEquity } from "./portfolio";
import { confirmAccountUnchanged, readAccountRow } from "./trading-state";

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
 * returned in plain words. The gate and the busy check are read first; the transaction that writes
 * the proposal begins with writes conditional on them (the account row unchanged, the symbol's
 * claim still with the holder read), so two processes proposing at once never both take a symbol. With auto-execute on for the profile, it is approved at once through the same
 * path a person's press takes, re-checks included. Live, the lot, minimums and tick are the
 * venue's own for the symbol, asked before the transaction; a venue that cannot be asked means
 * no proposal this time (never configured guesses), and the next poll asks again.
 */
export async function proposeTrade(app: App, request: ProposalRequest): Promise<ProposalResult> {
  const [result] = await proposeTrades(app, request.now, [request]);
  if (result === undefined) throw new Error("proposeTrades returned no result for one request");
  return result;
}

export interface ProposalResult { readonly proposalId: string | null; readonly skipped: string | null }

/**
 * Every fired signal of one cycle at once, as `proposeTrade` does one: equity and the profile in
 * force are read once, the gate and the busy checks in one transaction that writes all the
 * proposals, and their cards are handed to the queue together. Results in the order of `requests`.
 */
export async function proposeTrades(app: App, now: number, requests: readonly ProposalRequest[]): Promise<ProposalResult[]> {
  const venue = app.settings.tradingVenue;
  const results: (ProposalResult | null)[] = requests.map(() => null);
  const ready: { index: number; request: ProposalRequest; price: number; spec: MarketSpec }[] = [];
  for (const [index, request] of requests.entries()) {
    const price = request.venueView?.price ?? null;
    if (price === null || !(price > 0)) {
      results[index] = { proposalId: null, skipped: `no fresh price for ${request.symbol} on ${venue}, the trading venue.` };
      continue;
    }
    const market = await marketSpecFor(app, venue, request.symbol);
    if (!market.ok) results[index] = { proposalId: null, skipped: market.reason };
    else ready.push({ index, request, price, spec: market.spec });
  }
  if (ready.length > 0) {
    const [equity, active] = await Promise.all([currentEquity(app, now), activeRiskProfile(app)]);
    // The profile in force (stored by /risk, else configured): auto-execute follows the one the signal fired under.
    const profile = active.profile;
    // Read, decide, then write conditional on what was read (src/store/guard-rows.ts): the account
    // row unchanged (no pause slipped in) and each symbol's claim still with the holder read.
    const written = await retryOnConflict("the proposals' guards", async () => {
      const [{ state: account, raw }, claims] = await Promise.all([
        readAccountRow(app), readSymbolClaims(app.db, ready.map((r) => r.request.symbol), ACTIVE_STATUSES),
      ]);
      const gate = tradingGate(account, now);
      const busy = new Map<string, { id: string; status: string }>();
      for (const claim of claims.values()) if (claim.busy !== null) busy.set(claim.symbol, claim.busy);
      const outcomes: { index: number; skipped: string | null; ids: string[]; auto: boolean }[] = [];
      const accepted: { index: number; terms: ProposalTerms; claim: SymbolClaim }[] = [];
      for (const { index, request, price, spec } of ready) {
        const { id, symbol, side, horizonHours, signalId, regime, venueView } = request;
        const taken = busy.get(symbol);
        const claim = claims.get(symbol);
        if (!gate.open) {
          outcomes.push({ index, skipped: gate.reason, ids: [], auto: false });
          continue;
        }
        if (taken !== undefined || claim === undefined) {
          const what = taken === undefined ? "a trade in flight" : taken.status === "pending" ? "an unanswered proposal" : `a trade that is ${describeStatus(taken.status as TradeStatus)}`;
          outcomes.push({ index, skipped: `${symbol} already has ${what}${taken === undefined ? "" : ` (${taken.id})`}.`, ids: [], auto: false });
          continue;
        }
        const terms = buildProposalTerms({
          id, symbol, venue, side, signalId, now, equity, price, regime, sizeHalved: sizeMultiplier(account) < 1, market: spec,
          fundingRate: venueView?.funding?.current.rate ?? null, fundingIntervalHours: venueView?.funding?.intervalHours ?? 8, horizonHours,
          params: {
            risk: app.settings.risk, rewardToRisk: app.settings.rewardToRisk, takerFeeBps: app.settings.takerFeeBps, slippageBps: app.settings.slippageBps,
            ttlMinutes: app.settings.proposalTtlMinutes, autoExecute: app.settings.autoExecuteProfiles.includes(profile),
          },
        });
        if (!terms.ok) {
          outcomes.push({ index, skipped: terms.reason, ids: [], auto: false });
          continue;
        }
        accepted.push({ index, terms: terms.terms, claim });
        // Two signals for one symbol in one batch: the second finds the first's proposal.
        busy.set(symbol, { id, status: "pending" });
      }
      if (accepted.length === 0) return outcomes;
      const cardIds = await transact(app.db, async (tx) => {
        await confirmAccountUnchanged(tx, raw);
        for (const { terms, claim } of accepted) await claimSymbol(tx, claim, terms.id);
        return insertProposalsWithCards(tx, accepted.map((a) => a.terms), now);
      });
      accepted.forEach(({ index, terms }, k) => outcomes.push({ index, skipped: null, ids: cardIds[k] ?? [], auto: terms.autoExecute }));
      return outcomes;
    });
    await app.dispatch(written.flatMap((w) => w.ids));
    for (const { index, skipped } of written) {
      const request = requests[index];
      results[index] = skipped === null && request !== undefined ? { proposalId: request.id, skipped: null } : { proposalId: null, skipped };
    }
    for (const { index, skipped, auto } of written) {
      const request = requests[index];
      if (skipped !== null || !auto || request === undefined) continue;
      await approveProposal(app, request.id, { auto: `auto-execute (${profile} profile)` }).catch((error: unknown) => {
        app.logger.warn({ proposalId: request.id, reason: error instanceof Error ? error.message : String(error) }, "auto-execute declined; the proposal waits for a person");
      });
    }
  }
  return results.map((r) => r ?? { proposalId: null, skipped: "not proposed" });
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
