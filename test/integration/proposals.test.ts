import { describe, expect, it } from "vitest";
import { newProposalId } from "../../src/app/compute-signals";
import { pauseTrading, resumeTrading } from "../../src/app/pause-trading";
import { proposeTrade, proposeTrades, type ProposalRequest } from "../../src/app/propose-trade";
import { applyAccount } from "../../src/app/trading-state";
import type { App } from "../../src/app/context";
import type { Actor } from "../../src/chat/transport";
import Decimal from "decimal.js";
import { useRecordingApps } from "../support/test-env";
import { seedSnapshot } from "../support/fixtures";

/** The rules between a fired signal and a proposal, through the real use case on a real SQLite file. */
const alice: Actor = { platform: "telegram", userId: "111", displayName: "alice" };
const newApp = useRecordingApps();

const request = (app: App, overrides: Partial<ProposalRequest> = {}): ProposalRequest => ({
  id: newProposalId(), symbol: "MNT/USDT:USDT", side: "short", horizonHours: 8, signalId: null, now: app.clock(), regime: "normal",
  venueView: { price: 0.6, funding: { current: { ts: app.clock(), rate: 0.0005 }, intervalHours: 8, history: [] } }, ...overrides,
});

describe("turning a fired signal into a proposal", () => {
  it("sizes 10% of equity at the capped leverage, with stop, take-profit, liquidation, costs and expiry", async () => {
    const { app, notices } = await newApp();
    const { proposalId } = await proposeTrade(app, request(app));
    const p = await app.db.proposal.findUniqueOrThrow({ where: { id: proposalId ?? "" } });
    // 10,000 × 10% = 1,000 margin at 5x = 5,000 notional → 8,333.333 MNT at 0.6 (lot 0.001, rounded down).
    expect(p).toMatchObject({ status: "pending", quantity: "8333.333", leverage: 5, stopPrice: "0.612", takeProfitPrice: "0.582" });
    expect(new Decimal(p.notionalUsd).toNumber()).toBeCloseTo(4999.9998, 6);
    expect(Number(p.liquidationPrice)).toBeGreaterThan(0.612);
    expect(p.expiresAt.getTime() - p.createdAt.getTime()).toBe(30 * 60_000);
    expect(notices).toEqual([{ kind: "card", proposalId }]);
  });

  it("caps leverage at 5x in a high-volatility regime", async () => {
    const { app } = await newApp({ settings: { risk: { ...(await newApp()).app.settings.risk, leverage: 10 } } });
    const normal = await proposeTrade(app, request(app, { symbol: "MNT/USDT:USDT" }));
    const high = await proposeTrade(app, request(app, { symbol: "ETH/USDT:USDT", regime: "high", venueView: { price: 2000, funding: null } }));
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id: normal.proposalId ?? "" } })).leverage).toBe(10);
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id: high.proposalId ?? "" } })).leverage).toBe(5);
  });

  it("makes none while paused, says why, and makes one again after /resume", async () => {
    const { app } = await newApp();
    await pauseTrading(app, alice, "CPI");
    const paused = await proposeTrade(app, request(app));
    expect(paused.proposalId).toBeNull();
    expect(paused.skipped).toMatch(/Trading is paused by alice \(telegram\) \(CPI\)/);
    expect(await app.db.proposal.count()).toBe(0);
    await resumeTrading(app, alice);
    expect((await proposeTrade(app, request(app))).proposalId).not.toBeNull();
  });

  it("halves the size while the 5% drawdown rule holds, read from the stored account", async () => {
    const { app } = await newApp();
    // A peak of 10,600 against 10,000 equity is a 5.7% drawdown: the rule halves size.
    await app.db.setting.create({ data: { key: "risk.account", value: JSON.stringify({ peakEquity: 10_600, sizeHalved: false, pausedUntil: null, pausedThisDescent: false, manualPause: null, reviewSeq: 0 }) } });
    await applyAccount(app, { kind: "equity", equity: new Decimal(10_000) });
    const { proposalId } = await proposeTrade(app, request(app));
    const p = await app.db.proposal.findUniqueOrThrow({ where: { id: proposalId ?? "" } });
    expect(new Decimal(p.marginUsd).toNumber()).toBeCloseTo(500, 3);
    expect(p.quantity).toBe("4166.666");
  });

  it("makes one trade per symbol: a second signal while the first is in flight is skipped with the reason", async () => {
    const { app } = await newApp();
    const first = await proposeTrade(app, request(app));
    const second = await proposeTrade(app, request(app));
    expect(second.proposalId).toBeNull();
    expect(second.skipped).toMatch(new RegExp(`already has an unanswered proposal \\(${first.proposalId ?? ""}\\)`));
    expect((await proposeTrade(app, request(app, { symbol: "ETH/USDT:USDT", venueView: { price: 2000, funding: null } }))).proposalId).not.toBeNull();
  });

  it("refuses a size under the venue's minimum order, naming the numbers", async () => {
    const { app } = await newApp({ settings: { startingEquity: 20, market: { lotSize: 1, minQty: 1, minNotional: 5, tickSize: 0, maintenanceMarginRate: 0.005 } } });
    const { skipped } = await proposeTrade(app, request(app, { venueView: { price: 3000, funding: null } }));
    expect(skipped).toMatch(/Too small to trade/);
  });

  it("auto-executes only for the profiles opted in, through the approval re-checks", async () => {
    const { app, executions } = await newApp({ settings: { autoExecuteProfiles: ["conservative"] } });
    await seedSnapshot(app, { price: 0.6 });
    const { proposalId } = await proposeTrade(app, request(app));
    const p = await app.db.proposal.findUniqueOrThrow({ where: { id: proposalId ?? "" } });
    expect(p).toMatchObject({ status: "approved", autoApproved: true, decidedBy: "auto-execute (conservative profile)" });
    expect(executions).toEqual([proposalId]);

    const off = await newApp({ settings: { autoExecuteProfiles: ["aggressive"] } });
    await seedSnapshot(off.app, { price: 0.6 });
    const waiting = await proposeTrade(off.app, request(off.app));
    expect((await off.app.db.proposal.findUniqueOrThrow({ where: { id: waiting.proposalId ?? "" } })).status).toBe("pending");
    expect(off.executions).toEqual([]);
  });
});

describe("a cycle's fired signals proposed together", () => {
  it("writes the ones the rules allow in one go, each with its card, and says why the others were not", async () => {
    const { app, notices } = await newApp();
    const taken = await proposeTrade(app, request(app, { symbol: "ETH/USDT:USDT", venueView: { price: 2000, funding: null } }));
    const batch = [
      request(app, { symbol: "MNT/USDT:USDT" }),
      request(app, { symbol: "ETH/USDT:USDT", venueView: { price: 2000, funding: null } }), // already has a proposal
      request(app, { symbol: "BTC/USDT:USDT", venueView: null }), // no fresh price
      request(app, { symbol: "MNT/USDT:USDT" }), // twice in one batch: the first one is in flight
      request(app, { symbol: "SOL/USDT:USDT", side: "long", venueView: { price: 150, funding: null } }),
    ];
    const results = await proposeTrades(app, app.clock(), batch);
    expect(results.map((r) => r.proposalId)).toEqual([batch[0]?.id, null, null, null, batch[4]?.id]);
    expect(results[1]?.skipped).toBe(`ETH/USDT:USDT already has an unanswered proposal (${taken.proposalId}).`);
    expect(results[2]?.skipped).toMatch(/^no fresh price for BTC\/USDT:USDT/);
    expect(results[3]?.skipped).toBe(`MNT/USDT:USDT already has an unanswered proposal (${batch[0]?.id}).`);
    const stored = await app.db.proposal.findMany({ orderBy: { symbol: "asc" } });
    expect(stored.map((p) => [p.symbol, p.side, p.status])).toEqual([["ETH/USDT:USDT", "short", "pending"], ["MNT/USDT:USDT", "short", "pending"], ["SOL/USDT:USDT", "long", "pending"]]);
    // One card each (the hand-off order within a batch is not meaningful).
    expect(notices.map((n) => (n.kind === "card" ? n.proposalId : n.kind)).sort()).toEqual([taken.proposalId, batch[0]?.id, batch[4]?.id].sort());
  });

  it("makes none while paused and writes nothing", async () => {
    const { app } = await newApp();
    await pauseTrading(app, alice, "maintenance");
    const results = await proposeTrades(app, app.clock(), [request(app), request(app, { symbol: "ETH/USDT:USDT", venueView: { price: 2000, funding: null } })]);
    expect(results.every((r) => r.proposalId === null && /paused/.test(r.skipped ?? ""))).toBe(true);
    expect(await app.db.proposal.count()).toBe(0);
    expect(await app.db.intent.count({ where: { kind: "card" } })).toBe(0);
  });
});
