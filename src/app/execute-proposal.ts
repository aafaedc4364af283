import { paperMarketFill } from "../exchange/paper-broker";
import type { App } from "./context";
import { isFresh, latestSnapshot, parseBook } from "./market-view";
import { tradingGate } from "./trading-state";

export type ExecutionResult =
  | { readonly kind: "filled"; readonly price: number; readonly quantity: number; readonly fee: number }
  | { readonly kind: "already-done"; readonly status: string }
  | { readonly kind: "refused"; readonly reason: string };

/** Thrown when execution may succeed later (no fresh price yet): the job retries with backoff. */
export class RetryableExecutionError extends Error {
  override readonly name = "RetryableExecutionError";
}

const entryOrderId = (proposalId: string): string => `${proposalId}-entry`;

/**
 * Executes an approved proposal as a paper market order. Idempotent: the order's clientOrderId
 * is derived from the proposal and unique in storage, and the proposal moves approved → open
 * in the same transaction, so a re-run (a worker killed mid-job, a duplicate job) never places
 * a second order. A pause that arrived after approval wins: the proposal fails, nothing trades.
 */
export async function executeProposal(app: App, proposalId: string): Promise<ExecutionResult> {
  const proposal = await app.db.proposal.findUnique({ where: { id: proposalId } });
  if (proposal === null) return { kind: "refused", reason: `no proposal ${proposalId}` };
  if (proposal.status !== "approved") return { kind: "already-done", status: proposal.status };
  const now = app.clock();

  const gate = await tradingGate(app);
  if (!gate.open) {
    await markFailed(app, proposalId, `not executed: ${gate.reason}`);
    return { kind: "refused", reason: gate.reason };
  }
  const snapshot = await latestSnapshot(app, proposal.venue, proposal.symbol, now);
  const referencePrice = snapshot?.markPrice ?? snapshot?.lastPrice ?? null;
  if (snapshot === null || referencePrice === null || !isFresh(app, snapshot.ts.getTime(), now)) {
    throw new RetryableExecutionError(`no fresh ${proposal.symbol} price from ${proposal.venue} yet`);
  }
  const book = parseBook(snapshot.bookJson);
  const side = proposal.side === "long" ? "buy" : "sell";
  const fill = paperMarketFill({ side, quantity: proposal.quantity, book, referencePrice, takerFeeBps: app.settings.takerFeeBps, slippageBps: app.settings.slippageBps });
  // The stop keeps its distance from the real fill, not from the reference price.
  const stopDistance = Math.abs(proposal.stopPrice - proposal.refPrice) / proposal.refPrice;
  const stopPrice = proposal.side === "long" ? fill.price * (1 - stopDistance) : fill.price * (1 + stopDistance);

  const done = await app.db.$transaction(async (tx) => {
    const moved = await tx.proposal.updateMany({ where: { id: proposalId, status: "approved" }, data: { status: "open" } });
    if (moved.count === 0) return false;
    const order = await tx.order.create({
      data: {
        clientOrderId: entryOrderId(proposalId), proposalId, mode: "paper", purpose: "entry", venue: proposal.venue,
        symbol: proposal.symbol, side, quantity: proposal.quantity, status: "filled", createdAt: new Date(now),
      },
    });
    await tx.fill.create({ data: { orderId: order.id, ts: new Date(now), price: fill.price, quantity: fill.quantity, fee: fill.fee } });
    await tx.position.create({
      data: {
        proposalId, mode: "paper", venue: proposal.venue, symbol: proposal.symbol, side: proposal.side, quantity: fill.quantity,
        entryPrice: fill.price, entryTs: new Date(now), leverage: proposal.leverage, marginUsd: proposal.marginUsd, stopPrice,
        exitDueTs: new Date(now + proposal.horizonHours * 3_600_000), status: "open", feesPaid: fill.fee,
      },
    });
    return true;
  });
  if (!done) {
    const current = await app.db.proposal.findUnique({ where: { id: proposalId }, select: { status: true } });
    return { kind: "already-done", status: current?.status ?? "unknown" };
  }
  app.logger.info({ proposalId, price: fill.price, quantity: fill.quantity }, "paper entry filled");
  await app.notify({ kind: "proposal-update", proposalId });
  return { kind: "filled", ...fill };
}

export async function markFailed(app: App, proposalId: string, note: string): Promise<void> {
  const changed = await app.db.proposal.updateMany({ where: { id: proposalId, status: "approved" }, data: { status: "failed", note } });
  if (changed.count === 1) await app.notify({ kind: "proposal-update", proposalId });
}
