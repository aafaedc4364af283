import { summarize, type PerformanceSummary } from "../core/metrics";
import { pricePnl, type Side } from "../core/trades/pnl";
import type { Position } from "../store/generated/client";
import type { App } from "./context";
import { latestSnapshot } from "./market-view";

export interface OpenPositionView {
  readonly position: Position;
  readonly markPrice: number;
  /** Price PnL minus fees paid plus funding received so far. */
  readonly unrealizedPnl: number;
}

export interface PortfolioView {
  readonly startingEquity: number;
  readonly equity: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly feesPaid: number;
  readonly fundingReceived: number;
  readonly open: readonly OpenPositionView[];
  readonly closed: PerformanceSummary;
}

export async function openPositionViews(app: App, now: number): Promise<OpenPositionView[]> {
  const open = await app.db.position.findMany({ where: { status: "open" }, orderBy: { entryTs: "asc" } });
  const views: OpenPositionView[] = [];
  for (const position of open) {
    const snapshot = await latestSnapshot(app, position.venue, position.symbol, now);
    const markPrice = snapshot?.markPrice ?? snapshot?.lastPrice ?? position.entryPrice;
    const unrealizedPnl = pricePnl(position.side as Side, position.quantity, position.entryPrice, markPrice) - position.feesPaid + position.fundingPnl;
    views.push({ position, markPrice, unrealizedPnl });
  }
  return views;
}

/** Paper equity: the starting balance plus everything realized plus open positions marked to market. */
export async function portfolio(app: App, now: number): Promise<PortfolioView> {
  const closed = await app.db.position.findMany({ where: { status: "closed" }, select: { realizedPnl: true, feesPaid: true, fundingPnl: true } });
  const open = await openPositionViews(app, now);
  const realizedPnl = closed.reduce((s, p) => s + (p.realizedPnl ?? 0), 0);
  const unrealizedPnl = open.reduce((s, v) => s + v.unrealizedPnl, 0);
  return {
    startingEquity: app.settings.startingEquity,
    equity: app.settings.startingEquity + realizedPnl + unrealizedPnl,
    realizedPnl,
    unrealizedPnl,
    feesPaid: closed.reduce((s, p) => s + p.feesPaid, 0) + open.reduce((s, v) => s + v.position.feesPaid, 0),
    fundingReceived: closed.reduce((s, p) => s + p.fundingPnl, 0) + open.reduce((s, v) => s + v.position.fundingPnl, 0),
    open,
    closed: summarize(closed.map((p) => ({ pnl: p.realizedPnl ?? 0 }))),
  };
}

export async function currentEquity(app: App, now: number): Promise<number> {
  return (await portfolio(app, now)).equity;
}
