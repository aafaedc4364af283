import { describe, expect, it } from "vitest";
import { renderProposal, shorten } from "../../src/chat/render/proposal-card";

describe("proposal card", () => {
  it("keeps long explanations inside one Discord message, every stream line still present", () => {
    const explanation = ["SHORT for the next 8h: 3 of 4 streams confirm.", ...Array.from({ length: 6 }, (_, i) => `stream ${i}: ${"x".repeat(900)}`)].join("\n");
    const now = Date.UTC(2026, 0, 1);
    const card = renderProposal({
      proposal: {
        id: "pabc", signalId: 1, symbol: "MNT/USDT:USDT", venue: "bybit", side: "short", status: "pending", refPrice: 0.6, quantity: 8333.3,
        notionalUsd: 5000, marginUsd: 1000, leverage: 5, stopPrice: 0.612, horizonHours: 8, createdAt: new Date(now),
        expiresAt: new Date(now + 1_800_000), decidedAt: null, decidedBy: null, note: null,
      },
      signal: {
        id: 1, symbol: "MNT/USDT:USDT", venue: "bybit", ts: new Date(now), direction: "short", fired: true, score: -0.6, confidence: 0.6,
        horizonHours: 8, explanation, streamsJson: "[]", modelVersion: "prior-v1", crossConfirmed: false,
      },
      position: null,
      now,
    });
    expect(card.text.length).toBeLessThanOrEqual(2000);
    for (let i = 0; i < 6; i += 1) expect(card.text).toContain(`stream ${i}: xxx`);
    expect(card.text).toMatch(/Waiting for approval — expires in 30 min/);
    expect(card.buttons?.map((b) => b.label)).toEqual(["✅ Approve", "❌ Reject"]);
  });

  it("leaves short texts alone", () => {
    expect(shorten("a\nb", 100)).toBe("a\nb");
  });
});
