import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import { approveProposal, expireStaleProposals, rejectProposal } from "../../src/app/decide-proposal";
import { UserError } from "../../src/app/context";
import { executeProposal } from "../../src/app/execute-proposal";
import { pauseTrading, resumeTrading } from "../../src/app/pause-trading";
import type { Actor } from "../../src/chat/transport";
import { useRecordingApps } from "../support/test-env";
import { seedProposal, seedSnapshot } from "../support/fixtures";

const alice: Actor = { platform: "telegram", userId: "111", displayName: "alice" };
const bob: Actor = { platform: "discord", userId: "222", displayName: "bob" };

const setup = useRecordingApps();

describe("approving and rejecting proposals (real SQLite)", () => {
  it("approves a pending proposal once and queues exactly one execution", async () => {
    const { app, executions } = await setup();
    const id = await seedProposal(app);
    const approved = await approveProposal(app, id, alice);
    expect(approved.status).toBe("approved");
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).decidedBy).toBe("alice (telegram)");
    expect(executions).toEqual([id]);
    await expect(approveProposal(app, id, bob)).rejects.toThrow(/already approved by alice \(telegram\)/);
    await expect(rejectProposal(app, id, bob)).rejects.toBeInstanceOf(UserError);
    expect(executions).toEqual([id]);
  });

  it("lets only one of many simultaneous presses (both platforms) decide", async () => {
    const { app, executions } = await setup();
    const id = await seedProposal(app);
    const presses = await Promise.allSettled([
      approveProposal(app, id, alice), approveProposal(app, id, bob), rejectProposal(app, id, bob),
      approveProposal(app, id, alice), rejectProposal(app, id, alice),
    ]);
    expect(presses.filter((p) => p.status === "fulfilled")).toHaveLength(1);
    const final = await app.db.proposal.findUniqueOrThrow({ where: { id } });
    expect(executions.length).toBe(final.status === "approved" ? 1 : 0);
  });

  it("refuses an expired proposal and marks it expired", async () => {
    const { app, setNow, executions } = await setup();
    const id = await seedProposal(app, { expiresInMinutes: 30 });
    setNow(app.clock() + 31 * 60_000);
    await expect(approveProposal(app, id, alice)).rejects.toThrow(/expired/);
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("expired");
    expect(executions).toEqual([]);
  });

  it("expires stale proposals in the monitor sweep and says so", async () => {
    const { app, setNow, notices } = await setup();
    const id = await seedProposal(app, { expiresInMinutes: 5 });
    setNow(app.clock() + 6 * 60_000);
    expect(await expireStaleProposals(app)).toBe(1);
    expect(notices).toContainEqual({ kind: "card", proposalId: id });
    expect((await app.db.intent.findMany({ where: { kind: "card", id: { startsWith: `card-${id}-` } } })).length).toBe(2);
    expect(await expireStaleProposals(app)).toBe(0);
  });

  it("re-checks the market at approval: a drifted price, a wide spread or a stale quote refuse it, nothing changes", async () => {
    const { app, setNow, executions } = await setup();
    const drifted = await seedProposal(app, { price: 0.6 });
    await seedSnapshot(app, { price: 0.61 });
    await expect(approveProposal(app, drifted, alice)).rejects.toThrow(/Not approved\. The price moved up 1\.67% since the proposal/);
    const wide = await seedProposal(app, { price: 0.6, symbol: "ETH/USDT:USDT" });
    await app.db.marketSnapshot.updateMany({ where: { symbol: "ETH/USDT:USDT" }, data: { bid: 0.597, ask: 0.603 } });
    await expect(approveProposal(app, wide, alice)).rejects.toThrow(/spread .* is 1\.00%/);
    const stale = await seedProposal(app, { price: 0.6, symbol: "BTC/USDT:USDT", expiresInMinutes: 60 });
    setNow(app.clock() + 31 * 60_000);
    await expect(approveProposal(app, stale, alice)).rejects.toThrow(/price on bybit is 1860 s old \(the limit is 1800 s\)/);
    for (const id of [drifted, wide, stale]) expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("pending");
    expect(executions).toEqual([]);
  });

  it("gives a clear error for an unknown proposal", async () => {
    const { app } = await setup();
    await expect(approveProposal(app, "pdoesnotexist", alice)).rejects.toThrow(/There is no proposal pdoesnotexist/);
  });
});

describe("pause", () => {
  it("blocks approvals while paused and allows them after /resume", async () => {
    const { app, executions } = await setup();
    const id = await seedProposal(app);
    await pauseTrading(app, alice, "news at 14:00");
    await expect(pauseTrading(app, bob, "")).rejects.toThrow(/already paused by alice/);
    await expect(approveProposal(app, id, bob)).rejects.toThrow(/Not approved\. Trading is paused by alice \(telegram\) \(news at 14:00\)/);
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("pending");
    expect(await resumeTrading(app, bob)).toBe("Trading resumed.");
    await approveProposal(app, id, bob);
    expect(executions).toEqual([id]);
  });

  it("wins over an approval that is still waiting for execution: nothing trades", async () => {
    const { app } = await setup();
    await seedSnapshot(app, { price: 0.6 });
    const id = await seedProposal(app);
    await approveProposal(app, id, alice);
    await pauseTrading(app, bob, "stop everything");
    const result = await executeProposal(app, id);
    expect(result).toEqual({ kind: "nothing-to-do", status: "failed" });
    const proposal = await app.db.proposal.findUniqueOrThrow({ where: { id } });
    expect(proposal.status).toBe("failed");
    expect(proposal.note).toMatch(/paused by bob/);
    expect(await app.db.order.count()).toBe(0);
  });
});

describe("paper execution", () => {
  it("fills an approved proposal once, however often it runs", async () => {
    const { app } = await setup();
    await seedSnapshot(app, { price: 0.6 });
    const id = await seedProposal(app, { side: "short", price: 0.6 });
    await approveProposal(app, id, alice);
    const results = await Promise.all([executeProposal(app, id), executeProposal(app, id), executeProposal(app, id)]);
    expect(results.every((r) => r.status === "open")).toBe(true);
    expect(await app.db.order.count()).toBe(1);
    expect(await app.db.paperOrder.count()).toBe(1);
    expect(await app.db.fill.count()).toBe(1);
    const position = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    // Short sells into the bid 0.59994, minus 2 bp slippage: 0.59994 × (1 − 0.0002) = 0.599820...
    const entry = Number(position.entryPrice);
    expect(entry).toBeCloseTo(0.59994 * 0.9998, 8);
    expect(Number(position.stopPrice)).toBeCloseTo(entry * 1.02, 8);
    expect(Number(position.takeProfitPrice)).toBeCloseTo(entry * 0.97, 8);
    // Money is exact: the fee is the decimal product, not a float approximation.
    expect(position.feesPaid).toBe(new Decimal(position.entryPrice).times(position.quantity).times("5.5").div(10_000).toDecimalPlaces(12).toString());
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("open");
  });

  it("asks to retry when there is no fresh price, without trading", async () => {
    const { app, setNow } = await setup();
    await seedSnapshot(app, { price: 0.6 });
    const id = await seedProposal(app);
    await approveProposal(app, id, alice);
    setNow(app.clock() + 60 * 60_000);
    await expect(executeProposal(app, id)).rejects.toThrow(/no fresh MNT\/USDT:USDT price/);
    // The order is recorded (its client id fixed) before anything is sent; nothing reached the venue.
    expect(await app.db.paperOrder.count()).toBe(0);
    expect(await app.db.order.findMany({ select: { status: true, filledQty: true } })).toEqual([{ status: "submitting", filledQty: "0" }]);
  });
});
