import { afterAll, describe, expect, it } from "vitest";
import { entryClientOrderId } from "../../src/core/trading/orders";
import {
  cleanupHarness, describeExit, waitFor, withScenario,
  type ProposalCard, type RoleProcess, type Scenario,
} from "../support/process-harness";
import { SYMBOL } from "../support/scenario-setup";

/**
 * Live trading with real OS processes: a `worker` and a `bot` (`node dist/main.js <role>`, as `npm start` runs it) with
 * LIVE_TRADING=true against the Bybit stand-in (the real ccxt, signed requests). The system
 * proposes a trade by itself, Alice approves it in Telegram, then a process dies at a named crash
 * point or the venue misbehaves, and the venue itself must end up with exactly one entry order —
 * counted in the stand-in's account, not in our journal — with its stop-loss and take-profit.
 */
const RECOVERY_MS = 30_000;
const SETTLE_MS = 3_000;
const CRASH_MS = 20_000;
const SCENARIO_TIMEOUT_MS = 150_000;

const LIVE_ENV = {
  LIVE_TRADING: "true", LIVE_SKIP_PAPER_PERIOD: "true", BYBIT_API_KEY: "stand-in-key", BYBIT_API_SECRET: "stand-in-secret",
  LIVE_UNKNOWN_ORDER_GIVE_UP_MINUTES: "0.2",
};

afterAll(async () => {
  await cleanupHarness();
});

const statuses = (s: Scenario): string[] => s.sql<{ status: string }>(`SELECT status FROM "Proposal"`).map((r) => r.status);
const proposalId = (s: Scenario): string => s.sql<{ id: string }>(`SELECT id FROM "Proposal"`)[0]?.id ?? "";
const venueEntries = (s: Scenario) => s.exchange.accounts.bybit.orders.filter((o) => o.clientOrderId === entryClientOrderId(proposalId(s)));
const venueStops = (s: Scenario) => s.exchange.accounts.bybit.openOrders(SYMBOL).filter((o) => o.reduceOnly && o.triggerPrice !== null);

async function startBoth(s: Scenario, env: { worker?: Record<string, string> } = {}): Promise<{ worker: RoleProcess; card: ProposalCard }> {
  const [worker] = await Promise.all([s.start("worker", env.worker, { readyTimeoutMs: 60_000 }), s.start("bot", {}, { readyTimeoutMs: 60_000 })]);
  const card = await s.waitForProposalCard(60_000);
  expect(card.message.text).toMatch(/SHORT BTC\/USDT:USDT on bybit \(LIVE\)/);
  return { worker, card };
}

async function expectCrashAt(proc: RoleProcess, point: string): Promise<void> {
  await proc.waitForOutput(new RegExp(`crash point "${point}" reached`), CRASH_MS);
  const exit = await proc.exited;
  expect(exit.signal ?? exit.code, `${proc.name} should die by SIGKILL, it ended with ${describeExit(exit)}`).toSatisfy((v: unknown) => v === "SIGKILL" || v === 137);
}

/** One entry order on the venue, the journal open with the venue's fill, the stop and take-profit on the venue, the card open. */
async function expectLiveTradeOnce(s: Scenario, card: ProposalCard): Promise<void> {
  const converged = (): boolean => statuses(s).includes("open") && venueStops(s).length === 2 && /📂 Open/.test(s.cardText(card));
  await waitFor(converged, RECOVERY_MS, "the live trade to open with its stops on the venue").catch(() => undefined);
  if (converged()) await new Promise((r) => setTimeout(r, SETTLE_MS));
  expect(venueEntries(s), "entry orders the venue received").toHaveLength(1);
  expect(statuses(s)).toEqual(["open"]);
  const [venue] = venueEntries(s);
  const journal = s.sql<{ filledQty: string; avgPrice: string; exchangeOrderId: string | null }>(`SELECT filledQty, avgPrice, exchangeOrderId FROM "Order" WHERE purpose = 'entry'`);
  expect(journal).toHaveLength(1);
  expect(Number(journal[0]?.filledQty)).toBeCloseTo(venue?.filled ?? -1, 9);
  expect(Number(journal[0]?.avgPrice)).toBeCloseTo(venue?.avgPrice ?? -1, 6);
  expect(journal[0]?.exchangeOrderId).toBe(venue?.id);
  expect(venueStops(s).map((o) => o.type).sort(), "the stop-loss and take-profit the venue holds").toEqual(["stop-market", "take-profit-market"]);
  expect(s.cardText(card)).toMatch(/📂 Open/);
}

describe.sequential("live trading with real processes (Bybit stand-in, real ccxt)", () => {
  it("the worker dies after sending the entry, before recording it: restarted, it finds the order; the venue holds one", async () => {
    await withScenario({ env: LIVE_ENV }, async (s, remember) => {
      const { worker, card } = await startBoth(s, { worker: { PERPBOT_CRASH_AT: "after-order-submit" } });
      remember(card);
      s.pressApprove(card);
      await expectCrashAt(worker, "after-order-submit");
      expect(venueEntries(s), "the order reached the venue before the crash").toHaveLength(1);
      await s.start("worker");
      await expectLiveTradeOnce(s, card);
    });
  }, SCENARIO_TIMEOUT_MS);

  it("the worker dies after recording the send, before sending: restarted, it only looks, and fails the trade without ever sending", async () => {
    await withScenario({ env: LIVE_ENV }, async (s, remember) => {
      const { worker, card } = await startBoth(s, { worker: { PERPBOT_CRASH_AT: "after-send-recorded" } });
      remember(card);
      s.pressApprove(card);
      await expectCrashAt(worker, "after-send-recorded");
      await s.start("worker");
      await waitFor(() => statuses(s).includes("failed"), RECOVERY_MS, "the trade to be declared never placed").catch(() => undefined);
      expect(statuses(s)).toEqual(["failed"]);
      expect(s.sql<{ note: string }>(`SELECT note FROM "Proposal"`)[0]?.note).toMatch(/not found on the exchange after \d+ min .* will not be sent again/);
      expect(venueEntries(s), "nothing was ever sent").toHaveLength(0);
    });
  }, SCENARIO_TIMEOUT_MS);

  it("the venue accepts the entry but the answer never comes: resolved by look-up, one order", async () => {
    await withScenario({ env: LIVE_ENV }, async (s, remember) => {
      const { card } = await startBoth(s);
      remember(card);
      s.exchange.accounts.bybit.injectFault({ kind: "accept-then-timeout" });
      s.pressApprove(card);
      await expectLiveTradeOnce(s, card);
    });
  }, SCENARIO_TIMEOUT_MS);
});
