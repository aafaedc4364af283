import { fundingDue } from "../core/trading/funding";
import type { AccountState } from "../core/trading/account";
import type { Closing, Open } from "../core/trading/types";
import { readCommitted } from "../store/guard-rows";
import { loadTrades } from "../store/trade-repo";
import type { App } from "./context";
import { warnNearLiquidation } from "./liquidation-warnings";
import { latestSnapshot } from "./market-view";
import { currentEquity } from "./portfolio";
import { applyTradeEvent } from "./trade-flow";
import { applyAccount } from "./trading-state";

export interface MonitorOutcome {
  readonly fundingBooked: number;
  /** Trades that started closing (their exit orders are queued through the outbox). */
  readonly exiting: readonly { readonly proposalId: string; readonly reason: Closing["reason"] }[];
  /** Liquidation warnings written this pass (one per position and level, ever). */
  readonly liquidationWarnings: number;
  readonly equity: number;
  readonly account: AccountState;
}

/**
 * One pass over every open trade, pause or not (stops are never paused): book the funding the
 * venue has settled since entry — at the venue's own settlement stamps, snapped onto the minute
 * they belong to, never on a computed grid — then mark it to the latest price, which may start
 * an exit (liquidation, stop, take-profit, horizon), and may warn that the liquidation price is
 * near (closing positions too: they are held until their exit fills). Then equity goes through
 * the drawdown rules.
 */
export async function monitorTrades(app: App): Promise<MonitorOutcome> {
  const now = app.clock();
  let fundingBooked = 0;
  const exiting: { proposalId: string; reason: Closing["reason"] }[] = [];
  let liquidationWarnings = 0;
  // Committed rows only: on SQLite a bare read would run inside whatever transaction this process has open.
  for (const { state } of await readCommitted(app.db, (tx) => loadTrades(tx, ["open", "closing"]))) {
    const trade = state as Open | Closing;
    const { terms, position } = trade;
    // Live funding is booked from the venue's own payments (the reconciler), not computed from prints.
    const prints = app.broker.mode === "live" ? [] : await app.db.fundingPrint.findMany({
      where: { venue: terms.venue, symbol: terms.symbol, ts: { gt: new Date(position.entryTs), lte: new Date(now + 1_000) } }, orderBy: { ts: "asc" },
    });
    for (const print of fundingDue(position, prints.map((p) => ({ ts: p.ts.getTime(), rate: p.rate })), now)) {
      const mark = await markAt(app, terms.venue, terms.symbol, print.ts);
      const booked = await applyTradeEvent(app, terms.id, (s) => (s.status === "open" || s.status === "closing"
        ? { kind: "funding", settlementTs: print.ts, rate: print.rate, markPrice: mark ?? position.entryPrice.toNumber() }
        : null));
      if (booked.ok && booked.changed) fundingBooked += 1;
    }
    const snapshot = await latestSnapshot(app, terms.venue, terms.symbol, now);
    const price = snapshot?.markPrice ?? snapshot?.lastPrice ?? null;
    if (price === null) continue;
    let held: Open | Closing | null = trade;
    if (trade.status === "open") {
      const marked = await applyTradeEvent(app, terms.id, (s) => (s.status === "open" ? { kind: "mark", price, ts: snapshot?.ts.getTime() ?? now } : null));
      if (marked.ok && marked.changed && marked.state.status === "closing") exiting.push({ proposalId: terms.id, reason: marked.state.reason });
      held = marked.state.status === "open" || marked.state.status === "closing" ? marked.state : null;
    }
    if (held !== null && await warnedNearLiquidation(app, held, price, now)) liquidationWarnings += 1;
  }
  const equity = await currentEquity(app, now);
  const { state: account } = await applyAccount(app, { kind: "equity", equity });
  await app.db.equitySnapshot.create({
    data: { ts: new Date(now), equity: equity.toString(), peak: String(account.peakEquity), drawdown: account.peakEquity > 0 ? Math.max(0, (account.peakEquity - equity.toNumber()) / account.peakEquity) : 0 },
  });
  return { fundingBooked, exiting, liquidationWarnings, equity: equity.toNumber(), account };
}

/** A warning that cannot be written is logged, never thrown: the stops of the positions after this one must still be checked. */
async function warnedNearLiquidation(app: App, trade: Open | Closing, price: number, now: number): Promise<boolean> {
  try {
    return (await warnNearLiquidation(app, trade, price, now)) !== null;
  } catch (error) {
    app.logger.error({ proposalId: trade.terms.id, error: error instanceof Error ? error.message : String(error) }, "liquidation warning not written this pass; the next pass tries again");
    return false;
  }
}

/** The mark the venue settled funding at: the last polled mark at or before the settlement. */
async function markAt(app: App, venue: string, symbol: string, ts: number): Promise<number | null> {
  const row = await app.db.marketSnapshot.findFirst({ where: { venue, symbol, ts: { lte: new Date(ts + 1_000) } }, orderBy: { ts: "desc" }, select: { markPrice: true, lastPrice: true } });
  return row?.markPrice ?? row?.lastPrice ?? null;
}


