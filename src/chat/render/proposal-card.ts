import { round } from "../../core/stats";
import type { Proposal, Position, Signal } from "../../store/generated/client";
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

export const formatUsd = (x: number): string => `${x < 0 ? "-" : ""}${Math.abs(x).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} USDT`;
export const formatPrice = (x: number): string => (x >= 100 ? round(x, 2) : x >= 1 ? round(x, 4) : round(x, 6)).toString();

/**
 * The proposal message, rendered from stored state every time it is sent or edited, so every
 * copy on every platform tells the same story. Buttons only while a decision is possible.
 */
export function renderProposal(input: { proposal: Proposal; signal: Signal | null; position: Position | null; now: number }): OutgoingMessage {
  const { proposal: p, signal, position } = input;
  const arrow = p.side === "long" ? "🟢 LONG" : "🔴 SHORT";
  const lines = [
    `${arrow} ${p.symbol} on ${p.venue} (paper) — proposal ${p.id}`,
    `Size ${round(p.quantity, 4)} (${formatUsd(p.notionalUsd)} notional, ${formatUsd(p.marginUsd)} margin at ${p.leverage}x)`,
    `Reference price ${formatPrice(p.refPrice)}, stop loss ${formatPrice(p.stopPrice)}, horizon ${p.horizonHours}h`,
  ];
  if (signal) lines.push("", `Why: ${shorten(signal.explanation, MAX_WHY_CHARS)}`);
  lines.push("", statusLine(p, position, input.now));
  const buttons = p.status === "pending" && p.expiresAt.getTime() > input.now
    ? [
      { label: "✅ Approve", data: encodeButton({ kind: "approve", proposalId: p.id }), style: "primary" as const },
      { label: "❌ Reject", data: encodeButton({ kind: "reject", proposalId: p.id }), style: "danger" as const },
    ]
    : [];
  return { text: lines.join("\n"), buttons };
}

function statusLine(p: Proposal, position: Position | null, now: number): string {
  switch (p.status) {
    case "pending": {
      const minutes = Math.max(0, Math.round((p.expiresAt.getTime() - now) / 60_000));
      return `⏳ Waiting for approval — expires in ${minutes} min (${p.expiresAt.toISOString()}).`;
    }
    case "approved": return `✅ Approved by ${p.decidedBy ?? "?"} — executing…`;
    case "rejected": return `❌ Rejected by ${p.decidedBy ?? "?"}.`;
    case "expired": return "⌛ Expired without a decision. Nothing was traded.";
    case "failed": return `⚠️ Not executed: ${p.note ?? "unknown reason"}`;
    case "open": return position
      ? `📂 Open: filled ${round(position.quantity, 4)} at ${formatPrice(position.entryPrice)} (fee ${formatUsd(position.feesPaid)}), stop ${formatPrice(position.stopPrice)}, exit due ${position.exitDueTs.toISOString()}. Approved by ${p.decidedBy ?? "?"}.`
      : "📂 Open.";
    case "closed": return position
      ? `🏁 Closed (${position.closeReason ?? "?"}) at ${formatPrice(position.exitPrice ?? 0)}: PnL ${formatUsd(position.realizedPnl ?? 0)} after ${formatUsd(position.feesPaid)} fees and ${formatUsd(position.fundingPnl)} funding.`
      : "🏁 Closed.";
    default: return `Status: ${p.status}`;
  }
}
