import type Decimal from "decimal.js";
import { heldQuantity } from "../core/trading/orders";
import type { Side } from "../core/trading/types";
import type { App } from "./context";
import { openPositionViews } from "./portfolio";

export interface PositionRow {
  readonly id: string;
  readonly symbol: string;
  readonly venue: string;
  readonly side: Side;
  readonly status: "open" | "closing";
  /** Still held, in base units (a closing position's exit may have filled part of it). */
  readonly quantity: Decimal;
  readonly entryPrice: Decimal;
  readonly markPrice: number;
  /** null: no stored quote, the entry price stands in for the mark. */
  readonly markAgeMs: number | null;
  readonly markStale: boolean;
  /** What is still held, at the mark, in quote. */
  readonly notional: Decimal;
  readonly stopPrice: number;
  readonly takeProfitPrice: number;
  /** Net: price move minus all fees plus funding, as /pnl counts it. */
  readonly unrealizedPnl: Decimal;
  /** The three parts of the net figure (price + (−fees) + funding = unrealized), each counted once. */
  readonly priceMove: Decimal;
  readonly fees: Decimal;
  /** Received (negative: paid) so far. */
  readonly funding: Decimal;
  readonly fundingSettlements: number;
  readonly ageMs: number;
}

/** The open (and closing) positions, marked at the latest stored quote, oldest first. */
export async function positionList(app: App, now: number): Promise<PositionRow[]> {
  const views = await openPositionViews(app, now);
  return views
    .map(({ trade, markPrice, markTs, unrealizedPnl }): PositionRow => {
      const p = trade.position;
      const quantity = heldQuantity(trade);
      const markAgeMs = markTs === null ? null : now - markTs;
      return {
        id: trade.terms.id, symbol: trade.terms.symbol, venue: trade.terms.venue, side: trade.terms.side, status: trade.status,
        quantity, entryPrice: p.entryPrice, markPrice, markAgeMs, markStale: markAgeMs === null || markAgeMs > app.settings.marketData.maxDataAgeMs,
        notional: quantity.times(markPrice), stopPrice: p.stopPrice, takeProfitPrice: p.takeProfitPrice,
        unrealizedPnl, priceMove: unrealizedPnl.plus(p.fees).minus(p.funding), fees: p.fees, funding: p.funding,
        fundingSettlements: p.fundingSettlements.length, ageMs: now - p.entryTs,
      };
    })
    .sort((a, b) => b.ageMs - a.ageMs);
}
