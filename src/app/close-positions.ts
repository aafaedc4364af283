import { fundingCashFlow, netPnl, stopHit, type Side } from "../core/trades/pnl";
import { settlementsBetween } from "../core/funding-clock";
import { paperMarketFill } from "../exchange/paper-broker";
import type { Position } from "../store/generated/client";
import type { App } from "./context";
import { latestSnapshot, parseBook } from "./market-view";

export type CloseReason = "stop-loss" | "horizon";

/**
 * Walks every open position: books funding for settlements it was open over, then closes it when
 * the mark reaches the stop (the stop is non-negotiable, pause or not) or the signal's horizon
 * has passed. Returns the positions closed.
 */
export async function monitorOpenPositions(app: App): Promise<{ closed: { position: Position; reason: CloseReason }[] }> {
  const now = app.clock();
  const closed: { position: Position; reason: CloseReason }[] = [];
  const open = await app.db.position.findMany({ where: { status: "open" } });
  for (const position of open) {
    const snapshot = await latestSnapshot(app, position.venue, position.symbol, now);
    await bookFunding(app, position, snapshot?.fundingIntervalHours ?? 8, now);
    const mark = snapshot?.markPrice ?? snapshot?.lastPrice ?? null;
    if (mark === null) continue;
    const side = position.side as Side;
    const reason: CloseReason | null = stopHit(side, position.stopPrice, mark) ? "stop-loss" : now >= position.exitDueTs.getTime() ? "horizon" : null;
    if (reason === null) continue;
    const book = parseBook(snapshot?.bookJson ?? null);
    // A stop triggers at the stop price; the fill walks the book beyond it, as a stop-market would.
    const referencePrice = reason === "stop-loss" ? position.stopPrice : mark;
    const fill = paperMarketFill({
      side: side === "long" ? "sell" : "buy", quantity: position.quantity, book: reason === "stop-loss" ? null : book,
      referencePrice, takerFeeBps: app.settings.takerFeeBps, slippageBps: app.settings.slippageBps,
    });
    const result = await closePosition(app, position, fill, reason, now);
    if (result) closed.push({ position: result, reason });
  }
  return { closed };
}

async function closePosition(app: App, position: Position, fill: { price: number; quantity: number; fee: number }, reason: CloseReason, now: number): Promise<Position | null> {
  return app.db.$transaction(async (tx) => {
    const current = await tx.position.findUnique({ where: { id: position.id } });
    if (current === null || current.status !== "open") return null;
    const fees = current.feesPaid + fill.fee;
    const realizedPnl = netPnl({ side: current.side as Side, quantity: current.quantity, entryPrice: current.entryPrice, exitPrice: fill.price, fees, funding: current.fundingPnl });
    const order = await tx.order.create({
      data: {
        clientOrderId: `${current.proposalId}-exit`, proposalId: current.proposalId, mode: current.mode, purpose: reason,
        venue: current.venue, symbol: current.symbol, side: current.side === "long" ? "sell" : "buy", quantity: current.quantity,
        status: "filled", createdAt: new Date(now),
      },
    });
    await tx.fill.create({ data: { orderId: order.id, ts: new Date(now), price: fill.price, quantity: fill.quantity, fee: fill.fee } });
    const updated = await tx.position.update({
      where: { id: current.id },
      data: { status: "closed", exitPrice: fill.price, exitTs: new Date(now), closeReason: reason, feesPaid: fees, realizedPnl },
    });
    await tx.proposal.updateMany({ where: { id: current.proposalId, status: "open" }, data: { status: "closed" } });
    return updated;
  }).then(async (updated) => {
    if (updated !== null) {
      app.logger.info({ proposalId: updated.proposalId, reason, pnl: updated.realizedPnl }, "paper position closed");
      await app.notify({ kind: "proposal-update", proposalId: updated.proposalId });
    }
    return updated;
  });
}

/** Books one funding payment per settlement passed while open, once (unique per settlement). */
async function bookFunding(app: App, position: Position, interval: number, now: number): Promise<void> {
  const booked = await app.db.fundingPayment.findFirst({ where: { positionId: position.id }, orderBy: { ts: "desc" } });
  const from = booked ? booked.ts.getTime() : position.entryTs.getTime();
  for (const settlement of settlementsBetween(from, now, interval)) {
    const settled = await app.db.fundingPrint.findFirst({ where: { venue: position.venue, symbol: position.symbol, ts: new Date(settlement) } });
    // Without the settled print, the last predicted rate before settlement is the best we have.
    const predicted = await app.db.marketSnapshot.findFirst({
      where: { venue: position.venue, symbol: position.symbol, ts: { lte: new Date(settlement) }, fundingRate: { not: null } }, orderBy: { ts: "desc" },
    });
    const rate = settled?.rate ?? predicted?.fundingRate ?? 0;
    const mark = predicted?.markPrice ?? position.entryPrice;
    const amount = fundingCashFlow(position.side as Side, position.quantity, mark, rate);
    await app.db.$transaction([
      app.db.fundingPayment.create({ data: { positionId: position.id, ts: new Date(settlement), rate, amount } }),
      app.db.position.update({ where: { id: position.id }, data: { fundingPnl: { increment: amount } } }),
    ]);
  }
}
