import { groupedNumber } from "../../core/grouped-number";
import { round } from "../../core/stats";
import type Decimal from "decimal.js";
import type { PositionState, TradeState } from "../../core/trading/types";
import type { Signal } from "../../store/generated/client";
import { encodeButton } from "../callback-codec";
import type { OutgoingMessage } from "../transport";

/** The reasons must leave room for the rest within Discord's 2,000 characters per message. */
const MAX_WHY_CHARS = 1_400;

/** Keeps every line's start (one per stream) and trims the longest lines first. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const lines = text.split("\n");
  let budget = Math.max(40, Math.floor(max / lines.length));
  for (;;) {
    const cut = lines.map((line) => (line.length <= budget ? line : `${line.slice(0, budget - 1)}…`)).join("\n");
    if (cut.length <= max || budget <= 40) return cut.slice(0, max);
    budget -= 20;
  }
}

type Amount = number | Decimal;
const n = (x: Amount): number => (typeof x === "number" ? x : x.toNumber());

export const formatUsd = (x: Amount): string => {
  const v = n(x);
  return `${v < 0 ? "-" : ""}${groupedNumber(Math.abs(v), { minimumFractionDigits: 2, maximumFractionDigits: 2 })} USDT`;
};
export const formatPrice = (x: Amount): string => {
  const v = n(x);
  return (v >= 100 ? round(v, 2) : v >= 1 ? round(v, 4) : round(v, 6)).toString();
};
/** A quantity with its unit: the base asset of the symbol ("8,333 MNT"). */
export const formatQuantity = (x: Amount, symbol: string): string =>
  `${groupedNumber(round(n(x), 6), { maximumFractionDigits: 6 })} ${symbol.split("/")[0] ?? ""}`.trim();

/**
 * The proposal message, rendered from the trade's current state every time it is sent or edited,
 * so every copy on every platform tells the same story. Buttons only while a decision is possible.
 */
export function renderProposal(input: { trade: TradeState; signal: Signal | null; now: number; mode: "paper" | "live" }): OutgoingMessage {
  const { trade, signal } = input;
  const t = trade.terms;
  const arrow = t.side === "long" ? "🟢 LONG" : "🔴 SHORT";
  const lines = [
    `${arrow} ${t.symbol} on ${t.venue} (${input.mode.toUpperCase()}) — proposal ${t.id}`,
    `Size ${formatQuantity(t.quantity, t.symbol)} (${formatUsd(t.notionalUsd)} notional, ${formatUsd(t.marginUsd)} margin at ${t.leverage}x)`,
  ];
  // Once a position is open its own (fill-anchored) levels are the only ones shown.
  if (!("position" in trade)) {
    lines.push(
      `Reference price ${formatPrice(t.refPrice)}, stop loss ${formatPrice(t.stopPrice)}, take profit ${isFinite(t.takeProfitPrice) && t.takeProfitPrice > 0 ? formatPrice(t.takeProfitPrice) : "none"}, horizon ${t.horizonHours}h`,
      `Est. liquidation ${isFinite(t.liquidationPrice) && t.liquidationPrice > 0 ? formatPrice(t.liquidationPrice) : "n/a"}; expected fees ${formatUsd(t.expectedFeesUsd)}, funding over the horizon ${formatUsd(t.expectedFundingUsd)}`,
    );
  }
  if (signal) lines.push("", `Why: ${shorten(signal.explanation, MAX_WHY_CHARS)}`);
  lines.push("", statusLine(trade, input.now));
  const buttons = trade.status === "pending" && t.expiresAt > input.now
    ? [
      { label: "✅ Approve", data: encodeButton({ kind: "approve", proposalId: t.id }), style: "primary" as const },
      { label: "❌ Reject", data: encodeButton({ kind: "reject", proposalId: t.id }), style: "danger" as const },
    ]
    : [];
  return { text: lines.join("\n"), buttons };
}

const by = (d: { by: string; auto: boolean }): string => (d.auto ? "auto-execute" : d.by);

function positionLine(p: PositionState, symbol: string): string {
  return `filled ${formatQuantity(p.quantity, symbol)} at ${formatPrice(p.entryPrice)}, stop ${formatPrice(p.stopPrice)}` +
    `${isFinite(p.takeProfitPrice) && p.takeProfitPrice > 0 ? `, take profit ${formatPrice(p.takeProfitPrice)}` : ""}, exit due ${new Date(p.exitDueTs).toISOString()}`;
}

function statusLine(trade: TradeState, now: number): string {
  switch (trade.status) {
    case "pending": {
      const minutes = Math.max(0, Math.round((trade.terms.expiresAt - now) / 60_000));
      return `⏳ Waiting for approval — expires in ${minutes} min (${new Date(trade.terms.expiresAt).toISOString()}).`;
    }
    case "approved": return `✅ Approved by ${by(trade.decision)} — executing…`;
    case "submitting": return `✅ Approved by ${by(trade.decision)} — entry order ${trade.entry.clientOrderId} being placed…`;
    case "unknown": return `❓ Approved by ${by(trade.decision)} — the entry order's outcome is not known yet (${trade.lastError}); checking with the exchange, it will not be sent twice.`;
    case "rejected": return `❌ Rejected by ${trade.decision.by}.`;
    case "expired": return "⌛ Expired without a decision. Nothing was traded.";
    case "failed": return `⚠️ ${trade.reason}`;
    case "open": return `📂 Open: ${positionLine(trade.position, trade.terms.symbol)}. Fees ${formatUsd(trade.position.fees)}, funding ${formatUsd(trade.position.funding)}. Approved by ${by(trade.decision)}.`;
    case "closing": return `⏳ Closing (${trade.reason}): ${positionLine(trade.position, trade.terms.symbol)}. Exit order ${trade.exit.clientOrderId} in progress.`;
    case "closed": return `🏁 Closed (${trade.reason}) at ${formatPrice(trade.exit.avgPrice ?? 0)}: PnL ${formatUsd(trade.realizedPnl)} after ${formatUsd(trade.position.fees)} fees and ${formatUsd(trade.position.funding)} funding.`;
  }
}
