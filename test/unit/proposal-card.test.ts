import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import { renderProposal, shorten } from "../../src/chat/render/proposal-card";
import type { ProposalTerms, TradeState } from "../../src/core/trading/types";

const now = Date.UTC(2026, 0, 1);
const terms: ProposalTerms = {
  id: "pabc", symbol: "MNT/USDT:USDT", venue: "bybit", side: "short", signalId: 1, refPrice: 0.6, quantity: new Decimal("8333.333"),
  notionalUsd: new Decimal(5000), marginUsd: new Decimal(1000), leverage: 5, stopPrice: 0.612, takeProfitPrice: 0.582, liquidationPrice: 0.717,
  expectedFeesUsd: new Decimal("7.5"), expectedFundingUsd: new Decimal("-1.25"), horizonHours: 8, createdAt: now, expiresAt: now + 1_800_000, autoExecute: false,
};
const signal = (explanation: string) => ({
  id: 1, symbol: "MNT/USDT:USDT", venue: "bybit", ts: new Date(now), direction: "short", fired: true, score: -0.6, confidence: 0.6,
  horizonHours: 8, explanation, streamsJson: "[]", modelVersion: "prior-v1", crossConfirmed: false,
});

describe("proposal card", () => {
  it("keeps long explanations inside one Discord message, every stream line still present", () => {
    const explanation = ["SHORT for the next 8h: 3 of 4 streams confirm.", ...Array.from({ length: 6 }, (_, i) => `stream ${i}: ${"x".repeat(900)}`)].join("\n");
    const card = renderProposal({ trade: { status: "pending", terms }, signal: signal(explanation), now, mode: "paper" });
    expect(card.text.length).toBeLessThanOrEqual(2000);
    for (let i = 0; i < 6; i += 1) expect(card.text).toContain(`stream ${i}: xxx`);
    expect(card.text).toMatch(/Waiting for approval — expires in 30 min/);
    expect(card.buttons?.map((b) => b.label)).toEqual(["✅ Approve", "❌ Reject"]);
  });

  it("shows what a desk needs before approval: size with its unit, stop, take-profit, liquidation, costs, PAPER", () => {
    const card = renderProposal({ trade: { status: "pending", terms }, signal: null, now, mode: "paper" });
    expect(card.text).toMatch(/\(PAPER\)/);
    expect(card.text).toMatch(/Size 8,333\.333 MNT \(5,000\.00 USDT notional, 1,000\.00 USDT margin at 5x\)/);
    expect(card.text).toMatch(/stop loss 0\.612, take profit 0\.582, horizon 8h/);
    expect(card.text).toMatch(/Est\. liquidation 0\.717; expected fees 7\.50 USDT, funding over the horizon -1\.25 USDT/);
  });

  it("shows one stop once a position is open: the fill-anchored one", () => {
    const decision = { by: "alice (telegram)", at: now, auto: false };
    const entry = { clientOrderId: "pabc-e", side: "sell" as const, requestedQty: terms.quantity, filledQty: terms.quantity, avgPrice: new Decimal("0.5985"), fee: new Decimal("2.74"), status: "filled" as const, lastError: null, exchangeOrderId: null, sentAt: null };
    const open: TradeState = {
      status: "open", terms, decision, entry,
      position: {
        quantity: terms.quantity, entryPrice: new Decimal("0.5985"), entryTs: now, stopPrice: 0.61047, takeProfitPrice: 0.580545, liquidationPrice: 0.715,
        exitDueTs: now + 8 * 3_600_000, fees: new Decimal("2.74"), funding: new Decimal(0), fundingSettlements: [],
      },
    };
    const card = renderProposal({ trade: open, signal: null, now, mode: "paper" });
    expect(card.text).toMatch(/📂 Open: filled 8,333\.333 MNT at 0\.5985, stop 0\.61047/);
    expect(card.text).not.toMatch(/0\.612/);
    expect(card.buttons).toEqual([]);
  });

  it("leaves short texts alone", () => {
    expect(shorten("a\nb", 100)).toBe("a\nb");
  });
});
