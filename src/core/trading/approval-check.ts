import { stopHit } from "../trades/pnl";
import type { ProposalTerms } from "./types";

/**
 * The re-check at approval time: a proposal's terms were computed at `createdAt`; by the time a
 * person presses Approve the market (or the account) may have moved on. The result goes into the
 * `approve` event, so the lifecycle refuses with these words and nothing changes.
 */
export type ApprovalCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface ApprovalQuote {
  readonly price: number | null;
  readonly bid: number | null;
  readonly ask: number | null;
  /** When the quote was taken (epoch ms). */
  readonly ts: number | null;
}

export interface TradingGate { readonly open: boolean; readonly reason: string }

export interface ApprovalParams {
  /** Largest move of the price from the terms' reference, either way (e.g. 0.005). */
  readonly maxPriceDriftFraction: number;
  /** Widest (ask − bid) / mid allowed (e.g. 0.002). */
  readonly maxSpreadFraction: number;
  readonly maxQuoteAgeMs: number;
}

const pct = (fraction: number): string => `${(fraction * 100).toFixed(2)}%`;

export function checkApproval(
  terms: ProposalTerms,
  quote: ApprovalQuote,
  gate: TradingGate,
  now: number,
  params: ApprovalParams,
): ApprovalCheck {
  if (!gate.open) return { ok: false, reason: gate.reason };

  const { price, ts } = quote;
  if (price === null || ts === null || !(price > 0)) {
    return { ok: false, reason: `There is no price for ${terms.symbol} on ${terms.venue} right now, so the terms cannot be checked. Try again in a minute.` };
  }
  const age = now - ts;
  if (age > params.maxQuoteAgeMs) {
    return {
      ok: false,
      reason: `The last ${terms.symbol} price on ${terms.venue} is ${Math.round(age / 1000)} s old (the limit is ${Math.round(params.maxQuoteAgeMs / 1000)} s), so the terms cannot be checked. Try again in a minute.`,
    };
  }

  const drift = (price - terms.refPrice) / terms.refPrice;
  if (Math.abs(drift) > params.maxPriceDriftFraction) {
    return {
      ok: false,
      reason: `The price moved ${drift > 0 ? "up" : "down"} ${pct(Math.abs(drift))} since the proposal (from ${terms.refPrice} to ${price}), more than the ${pct(params.maxPriceDriftFraction)} allowed. Wait for a fresh proposal.`,
    };
  }

  // Without a book the spread is unknown; the drift check above still bounds the entry price.
  if (quote.bid !== null && quote.ask !== null && quote.bid > 0 && quote.ask > 0) {
    const mid = (quote.bid + quote.ask) / 2;
    const spread = (quote.ask - quote.bid) / mid;
    if (spread > params.maxSpreadFraction) {
      return {
        ok: false,
        reason: `The ${terms.symbol} spread on ${terms.venue} is ${pct(spread)} (bid ${quote.bid}, ask ${quote.ask}), wider than the ${pct(params.maxSpreadFraction)} allowed. Try again when the book is calmer.`,
      };
    }
  }

  if (stopHit(terms.side, terms.stopPrice, price)) {
    return { ok: false, reason: `At ${price} the stop (${terms.stopPrice}) would already be hit. Wait for a fresh proposal.` };
  }
  return { ok: true };
}
