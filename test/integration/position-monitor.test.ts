import { describe, expect, it } from "vitest";
import { approveProposal } from "../../src/app/decide-proposal";
import { executeProposal } from "../../src/app/execute-proposal";
import { monitorOpenPositions } from "../../src/app/close-positions";
import { checkRisk, MODEL_REVIEW_KEY } from "../../src/app/risk-monitor";
import { tradingGate, readDrawdownState } from "../../src/app/trading-state";
import type { Actor } from "../../src/chat/transport";
import { useRecordingApps } from "../support/test-env";
import { seedProposal, seedSnapshot } from "../support/fixtures";

const alice: Actor = { platform: "telegram", userId: "111", displayName: "alice" };
const HOUR = 3_600_000;

const newApp = useRecordingApps();

async function openShort(price = 0.6) {
  // 2026-01-05 00:00 UTC: a settlement instant. Open at 01:00 so the next settlement is 08:00.
  const env = await newApp({ now: Date.UTC(2026, 0, 5, 1, 0, 0) });
  await seedSnapshot(env.app, { price, fundingRate: 0.0005 });
  const id = await seedProposal(env.app, { side: "short", price });
  await approveProposal(env.app, id, alice);
  await executeProposal(env.app, id);
  return { ...env, id };
}

describe("open positions", () => {
  it("closes at the stop when the mark crosses it, with fees in the PnL", async () => {
    const { app, setNow, id } = await openShort();
    const position = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    setNow(app.clock() + 15 * 60_000);
    await seedSnapshot(app, { price: position.stopPrice * 0.999 });
    expect((await monitorOpenPositions(app)).closed).toHaveLength(0);
    setNow(app.clock() + 15 * 60_000);
    await seedSnapshot(app, { price: position.stopPrice * 1.01 });
    const { closed } = await monitorOpenPositions(app);
    expect(closed.map((c) => c.reason)).toEqual(["stop-loss"]);
    const after = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    // Exit at the stop plus 2 bp slippage (a buy), not at the gapped mark.
    expect(after.exitPrice).toBeCloseTo(position.stopPrice * 1.0002, 8);
    const expected = -after.quantity * ((after.exitPrice ?? 0) - after.entryPrice) - after.feesPaid + after.fundingPnl;
    expect(after.realizedPnl).toBeCloseTo(expected, 8);
    expect(after.realizedPnl).toBeLessThan(-100); // ≈ 2% of 5,000 notional plus fees
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("closed");
    expect(await app.db.order.count({ where: { proposalId: id } })).toBe(2);
    expect((await monitorOpenPositions(app)).closed).toHaveLength(0);
  });

  it("books funding once per settlement and closes at the horizon", async () => {
    const { app, setNow, id } = await openShort();
    // Shorts receive positive funding: 0.05% of ~5,000 notional ≈ 2.5 USDT at 08:00.
    setNow(Date.UTC(2026, 0, 5, 8, 30));
    await seedSnapshot(app, { price: 0.6, fundingRate: 0.0005 });
    await monitorOpenPositions(app);
    await monitorOpenPositions(app);
    const payments = await app.db.fundingPayment.findMany();
    expect(payments).toHaveLength(1);
    expect(payments[0]?.ts.toISOString()).toBe("2026-01-05T08:00:00.000Z");
    expect(payments[0]?.amount).toBeCloseTo(5000 / 0.6 * 0.6 * 0.0005, 6);
    setNow(Date.UTC(2026, 0, 5, 9, 1));
    await seedSnapshot(app, { price: 0.59 });
    const { closed } = await monitorOpenPositions(app);
    expect(closed.map((c) => c.reason)).toEqual(["horizon"]);
    const after = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    expect(after.fundingPnl).toBeCloseTo(2.5, 6);
    expect(after.realizedPnl).toBeGreaterThan(0);
  });
});

describe("drawdown rules", () => {
  it("halves size at 5%, pauses for 24 h at 10% with a model review, and both survive a restart", async () => {
    const { app, setNow, notices, reviews, id } = await openShort(0.6);
    const position = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    await checkRisk(app);
    // Lose 6% of equity (600 USDT) on paper: price up by 600 / quantity.
    setNow(app.clock() + 15 * 60_000);
    await seedSnapshot(app, { price: position.entryPrice + 600 / position.quantity });
    const halved = await checkRisk(app);
    expect(halved.events.map((e) => e.kind)).toEqual(["size-halved"]);
    expect((await readDrawdownState(app)).sizeHalved).toBe(true);
    setNow(app.clock() + 15 * 60_000);
    await seedSnapshot(app, { price: position.entryPrice + 1100 / position.quantity });
    const paused = await checkRisk(app);
    expect(paused.events.map((e) => e.kind)).toEqual(["paused"]);
    expect(notices.some((n) => n.kind === "text" && /trading is paused until/.test(n.text))).toBe(true);
    expect(await app.db.setting.findUnique({ where: { key: MODEL_REVIEW_KEY } })).not.toBeNull();
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatch(/^drawdown 1\d\.\d+%$/);
    const gate = await tradingGate(app);
    expect(gate.open).toBe(false);
    expect(gate.reason).toMatch(/drawdown rule/);
    // State lives in SQLite: a fresh read (as after a restart) still says paused, and 24 h later not.
    setNow(app.clock() + 23 * HOUR);
    expect((await tradingGate(app)).open).toBe(false);
    setNow(app.clock() + 1 * HOUR + 1);
    expect((await tradingGate(app)).open).toBe(true);
  });
});
