import Decimal from "decimal.js";
import { summarize, type PerformanceSummary } from "../core/metrics";
import type { Closed } from "../core/trading/types";
import { loadTrades } from "../store/trade-repo";
import type { App } from "./context";
import { periodStart, type Period } from "./periods";

/**
 * What the trades closed in a period made (/pnl [period]): each trade's net result (price move,
 * minus its fees, plus its funding) once, and the fees and funding inside it shown for
 * information — never added a second time. A trade belongs to the period it closed in.
 */
export interface PeriodPnl {
  readonly period: Period;
  readonly trades: number;
  /** Net of fees and funding. */
  readonly realized: Decimal;
  /** Already inside `realized`. */
  readonly fees: Decimal;
  /** Received (negative: paid); already inside `realized`. */
  readonly funding: Decimal;
  readonly summary: PerformanceSummary;
}

export async function periodPnl(app: App, period: Period, now: number): Promise<PeriodPnl> {
  const from = periodStart(period, now);
  const closed = (await loadTrades(app.db, ["closed"]))
    .map((t) => t.state as Closed)
    .filter((t) => t.closedAt <= now && (from === null || t.closedAt >= from));
  const sum = (pick: (t: Closed) => Decimal): Decimal => closed.reduce((total, t) => total.plus(pick(t)), new Decimal(0));
  return {
    period,
    trades: closed.length,
    realized: sum((t) => t.realizedPnl),
    fees: sum((t) => t.position.fees),
    funding: sum((t) => t.position.funding),
    summary: summarize(closed.map((t) => ({ pnl: t.realizedPnl.toNumber() }))),
  };
}
