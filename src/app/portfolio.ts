import Decimal from "decimal.js";
import { summarize, type PerformanceSummary } from "../core/metrics";
import { equityOf } from "../core/trading/account";
import { tradePnl } from "../core/trading/orders";
import type { Closed, Closing, Open } from "../core/trading/types";
import { loadTrades } from "../store/trade-repo";
import type { App } from "./context";
import { latestSnapshot } from "./market-view";

export interface OpenPositionView {
  readonly trade: Open | Closing;
  readonly markPrice: number;
  /** When the mark was read (the latest snapshot's stamp); null: no snapshot, the entry price stands in. */
  readonly markTs: number | null;
  /** Everything the position has made if closed at the mark: price move, minus all fees paid, plus funding. */
  readonly unrealizedPnl: Decimal;
}

export interface PortfolioView {
  readonly startingEquity: Decimal;
  readonly equity: Decimal;
  /** Net results of closed trades (fees and funding included). */
  readonly realizedPnl: Decimal;
  /** Net mark-to-market of open trades (their fees and funding so far included). */
  readonly unrealizedPnl: Decimal;
  /** All fees paid, closed and open: already inside the two figures above, shown for information. */
  readonly feesPaid: Decimal;
  /** All funding received (negative: paid), closed and open: likewise already inside them. */
  readonly fundingReceived: Decimal;
  readonly open: readonly OpenPositionView[];
  readonly closed: PerformanceSummary;
}

export async function openPositionViews(app: App, now: number): Promise<OpenPositionView[]> {
  const views: OpenPositionView[] = [];
  for (const { state } of await loadTrades(app.db, ["open", "closing"])) {
    const trade = state as Open | Closing;
    const snapshot = await latestSnapshot(app, trade.terms.venue, trade.terms.symbol, now);
    const quoted = snapshot?.markPrice ?? snapshot?.lastPrice ?? null;
    const markPrice = quoted ?? trade.position.entryPrice.toNumber();
    const unrealizedPnl = tradePnl(trade.terms.side, trade.position, trade.status === "closing" ? trade.exit : null, new Decimal(markPrice));
    views.push({ trade, markPrice, markTs: quoted === null ? null : (snapshot?.ts.getTime() ?? null), unrealizedPnl });
  }
  return views;
}

/** Paper equity: the starting balance plus every closed result plus open trades marked to market, summed exactly. */
export async function portfolio(app: App, now: number): Promise<PortfolioView> {
  const closed = (await loadTrades(app.db, ["closed"])).map((t) => t.state as Closed);
  const open = await openPositionViews(app, now);
  const startingEquity = new Decimal(app.settings.startingEquity);
  const realizedPnl = closed.reduce((sum, t) => sum.plus(t.realizedPnl), new Decimal(0));
  const unrealizedPnl = open.reduce((sum, v) => sum.plus(v.unrealizedPnl), new Decimal(0));
  const all = [...closed.map((t) => t.position), ...open.map((v) => v.trade.position)];
  return {
    startingEquity,
    equity: equityOf(startingEquity, closed.map((t) => t.realizedPnl), open.map((v) => ({ trade: v.trade, mark: v.markPrice }))),
    realizedPnl,
    unrealizedPnl,
    feesPaid: all.reduce((sum, p) => sum.plus(p.fees), new Decimal(0)),
    fundingReceived: all.reduce((sum, p) => sum.plus(p.funding), new Decimal(0)),
    open,
    closed: summarize(closed.map((t) => ({ pnl: t.realizedPnl.toNumber() }))),
  };
}

export async function currentEquity(app: App, now: number): Promise<Decimal> {
  return (await portfolio(app, now)).equity;
}
