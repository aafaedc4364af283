import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import { approveProposal } from "../../src/app/decide-proposal";
import { closeTrade, executeProposal } from "../../src/app/execute-proposal";
import { monitorTrades } from "../../src/app/monitor-trades";
import { readAccount, tradingGate } from "../../src/app/trading-state";
import type { App } from "../../src/app/context";
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

/** One monitor pass, then the exit orders it asked for (what the queue would run next). */
async function monitorAndClose(app: App): Promise<string[]> {
  const { exiting } = await monitorTrades(app);
  for (const e of exiting) await closeTrade(app, e.proposalId);
  return exiting.map((e) => e.reason);
}

describe("open positions", () => {
  it("closes at the stop when the mark crosses it, with fees in the PnL, exactly", async () => {
    const { app, setNow, id } = await openShort();
    const position = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    const stop = Number(position.stopPrice);
    setNow(app.clock() + 15 * 60_000);
    await seedSnapshot(app, { price: stop * 0.999 });
    expect(await monitorAndClose(app)).toEqual([]);
    setNow(app.clock() + 15 * 60_000);
    await seedSnapshot(app, { price: stop * 1.01 });
    expect(await monitorAndClose(app)).toEqual(["stop-loss"]);
    const after = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    // Exit at the stop plus 2 bp slippage (a buy), not at the gapped mark.
    expect(Number(after.exitPrice)).toBeCloseTo(stop * 1.0002, 8);
    const q = new Decimal(after.quantity);
    const expected = q.times(new Decimal(after.entryPrice).minus(after.exitPrice ?? 0)).minus(after.feesPaid).plus(after.fundingPnl);
    expect(after.realizedPnl).toBe(expected.toString());
    expect(Number(after.realizedPnl)).toBeLessThan(-100); // ≈ 2% of 5,000 notional plus fees
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("closed");
    expect(await app.db.order.count({ where: { proposalId: id } })).toBe(2);
    expect(await monitorAndClose(app)).toEqual([]);
  });

  it("takes profit at the take-profit level", async () => {
    const { app, setNow, id } = await openShort();
    const position = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    setNow(app.clock() + 15 * 60_000);
    await seedSnapshot(app, { price: Number(position.takeProfitPrice) * 0.999 });
    expect(await monitorAndClose(app)).toEqual(["take-profit"]);
    const after = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    expect(Number(after.realizedPnl)).toBeGreaterThan(100); // ≈ 3% of 5,000 notional less fees
  });

  it("books funding at the venue's own settlement stamp (a few ms late), once, and closes at the horizon", async () => {
    const { app, setNow, id } = await openShort();
    // Real Binance stamps arrive a few ms after the hour; the predicted rate must not be booked instead.
    await app.db.fundingPrint.create({ data: { venue: "bybit", symbol: "MNT/USDT:USDT", ts: new Date(Date.UTC(2026, 0, 5, 8, 0, 0, 7)), rate: 0.0004 } });
    setNow(Date.UTC(2026, 0, 5, 8, 30));
    await seedSnapshot(app, { price: 0.6, fundingRate: 0.0009 });
    await monitorAndClose(app);
    await monitorAndClose(app);
    const payments = await app.db.fundingPayment.findMany();
    expect(payments).toHaveLength(1);
    expect(payments[0]?.ts.toISOString()).toBe("2026-01-05T08:00:00.000Z");
    expect(payments[0]?.rate).toBe(0.0004);
    // Shorts receive positive funding on quantity × the mark at settlement.
    const quantity = (await app.db.position.findUniqueOrThrow({ where: { proposalId: id } })).quantity;
    expect(payments[0]?.amount).toBe(new Decimal(quantity).times("0.6").times("0.0004").toString());
    setNow(Date.UTC(2026, 0, 5, 9, 1));
    await seedSnapshot(app, { price: 0.59 });
    expect(await monitorAndClose(app)).toEqual(["horizon"]);
    const after = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    expect(after.fundingPnl).toBe(payments[0]?.amount);
    expect(Number(after.realizedPnl)).toBeGreaterThan(0);
  });
});

describe("drawdown rules", () => {
  it("halves size at 5%, pauses for 24 h at 10% with a model review, and the state is in the database", async () => {
    const { app, setNow, notices, reviews, id } = await openShort(0.6);
    const position = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    const entry = Number(position.entryPrice);
    const qty = Number(position.quantity);
    await monitorTrades(app);
    // Lose 6% of equity (600 USDT) on paper: price up by 600 / quantity.
    setNow(app.clock() + 15 * 60_000);
    await seedSnapshot(app, { price: entry + 600 / qty });
    await monitorTrades(app);
    expect((await readAccount(app)).sizeHalved).toBe(true);
    expect(notices.some((n) => n.kind === "text" && /position size is halved/.test(n.text))).toBe(true);
    setNow(app.clock() + 15 * 60_000);
    await seedSnapshot(app, { price: entry + 1100 / qty });
    await monitorTrades(app);
    expect(notices.some((n) => n.kind === "text" && /trading is paused until/.test(n.text))).toBe(true);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatch(/^drawdown of 1\d\.\d% from the equity peak$/);
    // The review is an outbox intent: it survives anything Redis does.
    expect(await app.db.intent.count({ where: { kind: "model-review", status: "pending" } })).toBe(1);
    const gate = await tradingGate(app);
    expect(gate.open).toBe(false);
    expect(gate.reason).toMatch(/drawdown rule/);
    setNow(app.clock() + 23 * HOUR);
    expect((await tradingGate(app)).open).toBe(false);
    setNow(app.clock() + 1 * HOUR + 1);
    expect((await tradingGate(app)).open).toBe(true);
  });

  it("fails safe on unreadable risk state: paused until an explicit override, at half size, said once", async () => {
    const { app, notices } = await newApp();
    await app.db.setting.create({ data: { key: "risk.account", value: "{not json" } });
    const gate = await tradingGate(app);
    expect(gate.open).toBe(false);
    expect(gate.reason).toMatch(/unreadable.*An admin must send \/resume/);
    expect((await readAccount(app)).sizeHalved).toBe(true);
    expect(await app.db.intent.count({ where: { kind: "text", id: { startsWith: "text-risk-state-corrupt" } } })).toBe(1);
    expect(notices).toHaveLength(0); // written to the outbox; dispatched by the next pass, not per read
  });
});
