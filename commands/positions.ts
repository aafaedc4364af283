import { positionList, type PositionRow } from "../src/app/position-list";
import { duration, fitLines } from "../src/chat/render/desk-format";
import { formatPrice, formatQuantity, formatUsd } from "../src/chat/render/proposal-card";
import type { Command } from "./command";

const signedUsd = (x: PositionRow["funding"]): string => `${x.gt(0) ? "+" : ""}${formatUsd(x)}`;

export function positionLines(row: PositionRow): string[] {
  const mark = row.markAgeMs === null ? "no quote yet, entry shown" : `${duration(row.markAgeMs)} old${row.markStale ? ", STALE" : ""}`;
  const settlements = `${row.fundingSettlements} settlement${row.fundingSettlements === 1 ? "" : "s"}`;
  const funding = row.fundingSettlements === 0 && row.funding.isZero()
    ? "(no funding settled yet)"
    : `${row.funding.gte(0) ? "+ funding received" : "- funding paid"} ${formatUsd(row.funding.abs())} (${settlements})`;
  return [
    `${row.id} ${row.symbol} ${row.side.toUpperCase()} ${formatQuantity(row.quantity, row.symbol)} (${formatUsd(row.notional)} at mark) on ${row.venue}, open ${duration(row.ageMs)}${row.status === "closing" ? " — CLOSING, exit order working" : ""}`,
    `  entry ${formatPrice(row.entryPrice)}, mark ${formatPrice(row.markPrice)} (${mark}), stop ${formatPrice(row.stopPrice)}, take-profit ${formatPrice(row.takeProfitPrice)}`,
    `  unrealized ${signedUsd(row.unrealizedPnl)} net = price move ${signedUsd(row.priceMove)} - fees ${formatUsd(row.fees)} ${funding}`,
  ];
}

export const positionsCommand: Command = {
  name: "positions",
  description: "Open positions: size, entry, mark, stop, take-profit, unrealized PnL, funding, age",
  args: [],
  usage: "/positions (no arguments)",
  role: "viewer",
  async run(app) {
    const rows = await positionList(app, app.clock());
    if (rows.length === 0) return { text: "No open positions." };
    const header = `${rows.length} open position${rows.length === 1 ? "" : "s"} (${app.broker.mode}); unrealized is net of every fee paid and the funding so far, each counted once:`;
    return { text: fitLines([header, ...rows.flatMap(positionLines), "Close one with /close <id>, all with /close all."]) };
  },
};
