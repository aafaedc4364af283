/**
 * The journal is complete (issue 10, point 6): one paper trade walked from the engine's signal to
 * its outcome through the real use cases, the real chat router and real SQLite, and every step
 * found in the database with who did it, when, and through which app.
 */
import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { computeSignals, newProposalId } from "../../src/app/compute-signals";
import { closeTrade, executeProposal } from "../../src/app/execute-proposal";
import { journalMonths } from "../../src/app/journal-drift";
import { monitorTrades } from "../../src/app/monitor-trades";
import { proposeTrade } from "../../src/app/propose-trade";
import { encodeButton } from "../../src/chat/callback-codec";
import { createChatRouter } from "../../src/chat/chat-router";
import type { Actor } from "../../src/chat/transport";
import { DEFAULT_ENGINE_PARAMS } from "../../src/core/signals/engine";
import { useRecordingApps } from "../support/test-env";
import { seedSnapshot } from "../support/fixtures";

const MNT = "MNT/USDT:USDT";
const T0 = Date.UTC(2026, 0, 5, 1, 0, 0); // an hour after the 00:00 funding settlement
const MIN = 60_000;
const bob: Actor = { platform: "discord", userId: "222", displayName: "bob" };
const alice: Actor = { platform: "telegram", userId: "111", displayName: "alice" };

const newApp = useRecordingApps();

/** Two streams (book imbalance, a bid wall) lean long: enough under the aggressive profile. */
async function setup(settings: { autoExecuteProfiles?: ("conservative" | "aggressive")[] } = {}) {
  const env = await newApp({
    now: T0,
    settings: { symbols: [MNT], engine: { ...DEFAULT_ENGINE_PARAMS, ensemble: { ...DEFAULT_ENGINE_PARAMS.ensemble, profile: "aggressive" } }, ...settings },
  });
  const bids = [...Array.from({ length: 10 }, (_, i) => [0.5999 - i * 0.0001, 10]), [0.598, 10_000]];
  const asks = Array.from({ length: 10 }, (_, i) => [0.6001 + i * 0.0001, 10]);
  await env.app.db.marketSnapshot.create({
    data: { venue: "bybit", symbol: MNT, ts: new Date(T0 - MIN), fundingRate: 0.0001, fundingIntervalHours: 8, markPrice: 0.6, lastPrice: 0.6, bid: 0.5999, ask: 0.6001, bookJson: JSON.stringify({ bids, asks }) },
  });
  return { ...env, router: createChatRouter(env.app, COMMANDS) };
}

describe("the journal of one paper trade", () => {
  it("stores signal, proposal, decision (who, when, which app), orders, fills, funding, exit and outcome", async () => {
    const { app, setNow, router } = await setup();

    // Signal → proposal: the engine journals its decision and links the proposal to it.
    const [outcome] = await computeSignals(app);
    const proposalId = outcome?.proposalId ?? "";
    expect(proposalId).not.toBe("");
    const signal = await app.db.signal.findFirstOrThrow({ where: { symbol: MNT }, include: { proposals: true } });
    expect(signal).toMatchObject({ direction: "long", fired: true, venue: "bybit" });
    expect(signal.ts.getTime()).toBe(T0);
    expect(signal.modelVersion).not.toBe("");
    expect(signal.proposals.map((p) => p.id)).toEqual([proposalId]);
    const proposed = await app.db.proposal.findUniqueOrThrow({ where: { id: proposalId } });
    expect(proposed).toMatchObject({ status: "pending", signalId: signal.id, side: "long", decidedBy: null, decidedVia: null });
    expect(proposed.createdAt.getTime()).toBe(T0);

    // Decision: bob presses Approve on Discord, two minutes later.
    setNow(T0 + 2 * MIN);
    const pressed = await router.onButton(encodeButton({ kind: "approve", proposalId }), bob, { platform: "discord", chatId: "c1", messageId: "m1" });
    expect(pressed.toast).toMatch(/^Approved\./);
    const decided = await app.db.proposal.findUniqueOrThrow({ where: { id: proposalId } });
    expect(decided).toMatchObject({ status: "approved", decidedBy: "bob (discord)", decidedVia: "discord", decidedByUserId: "222", autoApproved: false });
    expect(decided.decidedAt?.getTime()).toBe(T0 + 2 * MIN);
    expect(await app.db.auditLog.findFirst({ where: { action: "approve", target: proposalId } })).toMatchObject({ platform: "discord", userId: "222", displayName: "bob", outcome: "ok" });

    // Order → fill: the paper broker fills the entry.
    setNow(T0 + 3 * MIN);
    await executeProposal(app, proposalId);
    const entry = await app.db.order.findFirstOrThrow({ where: { proposalId, purpose: "entry" }, include: { fills: true } });
    expect(entry).toMatchObject({ status: "filled", side: "buy", mode: "paper" });
    expect(entry.createdAt.getTime()).toBe(T0 + 3 * MIN);
    expect(entry.fills).toHaveLength(1);
    expect(entry.fills[0]?.ts.getTime()).toBe(T0 + 3 * MIN);
    expect(entry.fills[0]?.quantity).toBe(entry.filledQty);
    expect(new Decimal(entry.fills[0]?.fee ?? "0").gt(0)).toBe(true);

    // Funding payment at the 08:00 settlement, at the venue's own stamp and rate.
    await app.db.fundingPrint.create({ data: { venue: "bybit", symbol: MNT, ts: new Date(Date.UTC(2026, 0, 5, 8)), rate: 0.0003 } });
    setNow(Date.UTC(2026, 0, 5, 8, 15));
    await seedSnapshot(app, { price: 0.601, fundingRate: 0.0003 });
    await monitorTrades(app);
    const position = await app.db.position.findUniqueOrThrow({ where: { proposalId }, include: { payments: true } });
    expect(position.payments).toHaveLength(1);
    expect(position.payments[0]?.ts.toISOString()).toBe("2026-01-05T08:00:00.000Z");
    expect(position.payments[0]?.rate).toBe(0.0003);
    expect(new Decimal(position.payments[0]?.amount ?? "0").lt(0)).toBe(true); // a long pays positive funding

    // Exit at the horizon → outcome.
    const exitAt = position.exitDueTs.getTime() + MIN;
    setNow(exitAt);
    await seedSnapshot(app, { price: 0.605 });
    const { exiting } = await monitorTrades(app);
    expect(exiting.map((e) => e.reason)).toEqual(["horizon"]);
    await closeTrade(app, proposalId);
    const exit = await app.db.order.findFirstOrThrow({ where: { proposalId, purpose: "exit" }, include: { fills: true } });
    expect(exit).toMatchObject({ status: "filled", side: "sell" });
    expect(exit.fills.map((f) => f.ts.getTime())).toEqual([exitAt]);
    const closed = await app.db.position.findUniqueOrThrow({ where: { proposalId } });
    expect(closed).toMatchObject({ status: "closed", closeReason: "horizon" });
    expect(closed.exitTs?.getTime()).toBe(exitAt);
    // The outcome is the sum of its parts, exactly: price move, both fees, the funding paid.
    const fees = new Decimal(entry.fee).plus(exit.fee);
    const gross = new Decimal(closed.quantity).times(new Decimal(closed.exitPrice ?? "0").minus(closed.entryPrice));
    expect(closed.feesPaid).toBe(fees.toString());
    expect(closed.fundingPnl).toBe(position.payments[0]?.amount);
    expect(closed.realizedPnl).toBe(gross.minus(fees).plus(closed.fundingPnl).toString());
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id: proposalId } })).status).toBe("closed");

    // And the drift check reads it back, in R, in its month.
    setNow(Date.UTC(2026, 1, 1, 0, 10));
    const [, january] = await journalMonths(app, app.clock());
    expect(january).toMatchObject({ month: "2026-01", trades: 1, winRate: 1 });
  });

  it("records which app a rejection came through, and an auto-execute approval as 'auto'", async () => {
    const { app, router } = await setup();
    const [outcome] = await computeSignals(app);
    const rejected = outcome?.proposalId ?? "";
    const reply = await router.onCommand("reject", [rejected], alice);
    expect(reply.text).toMatch(/^Rejected /);
    expect(await app.db.proposal.findUniqueOrThrow({ where: { id: rejected } })).toMatchObject({ status: "rejected", decidedBy: "alice (telegram)", decidedVia: "telegram", decidedByUserId: "111" });

    const auto = await setup({ autoExecuteProfiles: ["aggressive"] });
    const request = { symbol: MNT, side: "long" as const, horizonHours: 8, signalId: null, regime: "normal" as const, venueView: { price: 0.6, funding: null } };
    const { proposalId } = await proposeTrade(auto.app, { ...request, id: newProposalId(), now: auto.app.clock() });
    expect(await auto.app.db.proposal.findUniqueOrThrow({ where: { id: proposalId ?? "" } })).toMatchObject({
      status: "approved", autoApproved: true, decidedVia: "auto", decidedByUserId: null, decidedBy: "auto-execute (aggressive profile)",
    });
  });

  it("a refused approval leaves no decider behind", async () => {
    const { app, router, setNow } = await setup();
    const [outcome] = await computeSignals(app);
    const id = outcome?.proposalId ?? "";
    setNow(T0 + 29.5 * MIN); // the quote (T0 − 1 min) is now older than the 30 minutes an approval accepts
    const reply = await router.onCommand("approve", [id], bob);
    expect(reply.text).toMatch(/old/);
    expect(await app.db.proposal.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "pending", decidedBy: null, decidedVia: null, decidedByUserId: null });
  });
});
