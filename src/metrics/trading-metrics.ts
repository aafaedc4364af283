import type { App } from "../app/context";
import type { OrderStatus, TradeStatus } from "../core/trading/types";
import { bounded, counter, gauge, type MetricsSource } from "./metrics-source";

const PROPOSAL_STATUSES = ["pending", "approved", "rejected", "expired", "submitting", "unknown", "open", "closing", "closed", "failed"] as const satisfies readonly TradeStatus[];
const ORDER_STATUSES = ["submitting", "partially-filled", "filled", "cancelled", "rejected", "unknown"] as const satisfies readonly OrderStatus[];
const POSITION_STATUSES = ["open", "closing", "closed"] as const;

/**
 * The trade journal: signals (every ensemble decision is a row, never deleted, so a counter),
 * proposals by lifecycle state, orders by status and positions by status (gauges: rows move
 * between states). Grouped counts only, each one indexed or small; symbols are bounded by the
 * configured list (anything else, e.g. a symbol since removed, counts as "other").
 */
export function tradingMetrics(app: App): MetricsSource {
  return {
    name: "trading",
    read: async () => {
      const [signals, proposals, orders, positions] = await Promise.all([
        app.db.signal.groupBy({ by: ["symbol", "fired"], _count: { _all: true } }),
        app.db.proposal.groupBy({ by: ["status"], _count: { _all: true } }),
        app.db.order.groupBy({ by: ["status"], _count: { _all: true } }),
        app.db.position.groupBy({ by: ["status"], _count: { _all: true } }),
      ]);
      const symbols = app.settings.symbols;
      return (registry) => {
        const signalRows = counter(registry, "perpbot_signals_total", "Journaled signal decisions (one per symbol and cycle), fired or not; symbols outside SYMBOLS count as \"other\".", ["symbol", "fired"]);
        for (const symbol of [...symbols, "other"]) for (const fired of ["true", "false"]) signalRows.inc({ symbol, fired }, 0);
        for (const row of signals) signalRows.inc({ symbol: bounded(row.symbol, symbols), fired: String(row.fired) }, row._count._all);
        statusGauge(registry, "perpbot_proposals", "Proposals by lifecycle state (the Proposal status column).", PROPOSAL_STATUSES, proposals);
        statusGauge(registry, "perpbot_orders", "Orders we sent or simulated, by status.", ORDER_STATUSES, orders);
        statusGauge(registry, "perpbot_positions", "Positions by status (open, closing, closed).", POSITION_STATUSES, positions);
        const open = positions.filter((p) => p.status === "open" || p.status === "closing").reduce((sum, p) => sum + p._count._all, 0);
        gauge(registry, "perpbot_positions_open", "Positions open now (open or closing).").set(open);
      };
    },
  };
}

function statusGauge(registry: Parameters<typeof gauge>[0], name: string, help: string, known: readonly string[], rows: readonly { status: string; _count: { _all: number } }[]): void {
  const g = gauge(registry, name, help, ["status"]);
  // Every known state is present, at 0 when empty: an alert on "failed > 0" needs the series to exist.
  for (const status of [...known, "other"]) g.set({ status }, 0);
  for (const row of rows) g.inc({ status: bounded(row.status, known) }, row._count._all);
}
