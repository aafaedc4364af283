import { exitSide, heldQuantity } from "../core/trading/orders";
import type { Closing, Open } from "../core/trading/types";
import type { ProtectionState } from "../exchange/broker";
import type { Db } from "./database";
import { isUniqueViolation } from "./guard-rows";

const STATUS: Readonly<Record<ProtectionState["outcome"], string>> = { placed: "open", present: "open", filled: "filled", missing: "missing" };

/**
 * The venue-held stop-loss and take-profit of a live position, as order records beside its entry
 * and exit (purpose "stop-loss" / "take-profit"): exchange id, client id, status and the last error.
 * They are not part of the trade's state: the venue holds them, the journal remembers what it saw.
 */
export async function recordProtection(db: Db, trade: Open | Closing, states: readonly ProtectionState[], now: number): Promise<void> {
  const { terms } = trade;
  for (const s of states) {
    const data = { status: STATUS[s.outcome], lastError: s.error, updatedAt: new Date(now), ...(s.exchangeOrderId === null ? {} : { exchangeOrderId: s.exchangeOrderId }) };
    const create = {
      clientOrderId: s.clientOrderId, proposalId: terms.id, mode: "live", purpose: s.kind, venue: terms.venue, symbol: terms.symbol,
      side: exitSide(terms.side), requestedQty: heldQuantity(trade).toString(), createdAt: new Date(now), ...data,
    };
    try {
      await db.order.upsert({ where: { clientOrderId: s.clientOrderId }, create, update: data });
    } catch (error) {
      // Two processes recording the same stop at once: the one whose insert lost updates the row the other made.
      if (!isUniqueViolation(error)) throw error;
      await db.order.update({ where: { clientOrderId: s.clientOrderId }, data });
    }
  }
}
