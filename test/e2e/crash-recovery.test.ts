import { afterAll, describe, expect, it } from "vitest";
import {
  cleanupHarness, describeExit, waitFor, withScenario,
  type ProposalCard, type RoleProcess, type Scenario,
} from "../support/process-harness";

/**
 * Crash recovery with real OS processes: a `worker` and a `bot` process (`node dist/main.js <role>`, as `npm start` runs it)
 * on one SQLite file and one private Redis. Each scenario lets the system propose a trade by
 * itself (a funding anomaly served by the exchange stand-in), presses Approve in the Telegram
 * stand-in, then breaks something — a process dies at a named crash point (src/crash-points.ts),
 * or Redis loses everything — and checks that the trade still happens exactly once and the card
 * says so. State is read with plain SQL on the SQLite file, not through the Prisma client.
 */

/** How long the system gets to converge after the disruption (the reconciler runs every 2 s here). */
const RECOVERY_MS = 20_000;
/** After converging, how long we keep watching that nothing is done twice. */
const SETTLE_MS = 3_000;
/** How long a process armed with PERPBOT_CRASH_AT gets to reach its crash point after the press. */
const CRASH_MS = 15_000;
/** Polling must come back within the reconcile interval (2 s) plus two polls 3 s apart, with slack for a busy CI box. */
const POLL_RESUME_MS = 12_000;
const SCENARIO_TIMEOUT_MS = 150_000;

afterAll(async () => {
  await cleanupHarness();
});

const ENTRY_ORDERS = `SELECT count(*) FROM "Order" WHERE purpose = 'entry'`;
const POSITIONS = `SELECT count(*) FROM "Position"`;
const VENUE_ORDERS = `SELECT count(*) FROM "PaperOrder"`;
const OPEN_CARD = /📂 Open/;

function proposalStatuses(s: Scenario): string[] {
  return s.sql<{ status: string }>(`SELECT status FROM "Proposal"`).map((r) => r.status);
}

/** The process reaches its armed crash point, says so on stderr and dies by SIGKILL. */
async function expectCrashAt(proc: RoleProcess, point: string): Promise<void> {
  try {
    await proc.waitForOutput(new RegExp(`crash point "${point}" reached`), CRASH_MS);
  } catch (error) {
    throw new Error(`${proc.name} never reached crash point "${point}" (is crashPoint("${point}") wired into the code path?): ${error instanceof Error ? error.message : String(error)}`);
  }
  const exit = await proc.exited;
  expect(exit.signal ?? exit.code, `${proc.name} should die by SIGKILL at the crash point, it ended with ${describeExit(exit)}`).toSatisfy(
    (v: unknown) => v === "SIGKILL" || v === 137,
  );
}

/**
 * Exactly one entry order and one position, the proposal open and the Telegram card showing the
 * open position (not "executing…"), reached within RECOVERY_MS and still true SETTLE_MS later.
 */
async function expectTradedOnce(s: Scenario, card: ProposalCard): Promise<void> {
  const converged = (): boolean =>
    s.count(ENTRY_ORDERS) >= 1 && s.count(POSITIONS) >= 1 && proposalStatuses(s).includes("open") && OPEN_CARD.test(s.cardText(card));
  // A timeout here is not the verdict: the expectations below say precisely what is missing.
  await waitFor(converged, RECOVERY_MS, "the approved trade to be filled and the card to show it open").catch(() => undefined);
  if (converged()) await new Promise((r) => setTimeout(r, SETTLE_MS));
  expect(s.count(ENTRY_ORDERS), "entry orders (Order rows with purpose 'entry')").toBe(1);
  // What the venue itself holds: the journal's unique client id alone cannot prove a single send.
  expect(s.count(VENUE_ORDERS), "orders the paper venue received (PaperOrder rows)").toBe(1);
  expect(s.count(POSITIONS), "positions").toBe(1);
  expect(proposalStatuses(s), "proposal statuses").toEqual(["open"]);
  const text = s.cardText(card);
  expect(text, "the Telegram card should show the position open").toMatch(OPEN_CARD);
  expect(text, "the Telegram card should no longer say executing").not.toMatch(/executing/);
}

/** Polling goes on: at least two MarketSnapshot rows newer than `afterId` (an in-flight poll makes at most one). */
async function expectPollingResumes(s: Scenario, afterId: number, what: string): Promise<void> {
  const fresh = (): number => s.count(`SELECT count(*) FROM "MarketSnapshot" WHERE id > ?`, afterId);
  await waitFor(() => fresh() >= 2, POLL_RESUME_MS, `market polling to resume ${what}`).catch(() => undefined);
  expect(fresh(), `MarketSnapshot rows written ${what} (polling every 3 s, reconcile every 2 s)`).toBeGreaterThanOrEqual(2);
}

const lastSnapshotId = (s: Scenario): number => s.count(`SELECT coalesce(max(id), 0) FROM "MarketSnapshot"`);

/** Worker and bot side by side (the scenario database comes migrated), then the card. */
async function startBoth(s: Scenario, env: { worker?: Record<string, string>; bot?: Record<string, string> } = {}): Promise<{ worker: RoleProcess; bot: RoleProcess; card: ProposalCard }> {
  const [worker, bot] = await Promise.all([s.start("worker", env.worker), s.start("bot", env.bot)]);
  const card = await s.waitForProposalCard();
  expect(card.message.text).toMatch(/SHORT BTC\/USDT:USDT on bybit \(PAPER\)/);
  expect(proposalStatuses(s)).toEqual(["pending"]);
  expect(s.count(ENTRY_ORDERS)).toBe(0);
  return { worker, bot, card };
}

describe.sequential("crash recovery with real processes (worker and bot apart, one SQLite file, one private Redis)", () => {
  it("a. the bot dies right after the approval is committed: restarted, the trade still happens once", async () => {
    await withScenario({}, async (s, remember) => {
      const { bot, card } = await startBoth(s, { bot: { PERPBOT_CRASH_AT: "after-approval-commit" } });
      remember(card);
      s.pressApprove(card);
      await expectCrashAt(bot, "after-approval-commit");
      // Committed before the crash: approved, or already further on if the worker's reconciler (every
      // 2 s) picked the orphaned intent up before this line ran (a busy machine).
      expect(proposalStatuses(s), "the approval was committed before the crash").toSatisfy((statuses: string[]) =>
        statuses.length === 1 && ["approved", "submitting", "open"].includes(statuses[0] ?? ""));
      await s.start("bot");
      await expectTradedOnce(s, card);
    });
  }, SCENARIO_TIMEOUT_MS);

  it("b. the worker dies after sending the entry order, before recording it: restarted, one order", async () => {
    await withScenario({}, async (s, remember) => {
      const { worker, card } = await startBoth(s, { worker: { PERPBOT_CRASH_AT: "after-order-submit" } });
      remember(card);
      s.pressApprove(card);
      await expectCrashAt(worker, "after-order-submit");
      await s.start("worker");
      await expectTradedOnce(s, card);
    });
  }, SCENARIO_TIMEOUT_MS);

  it("c. the worker dies after committing the fill, before queueing the card update: restarted, the card shows it open", async () => {
    await withScenario({}, async (s, remember) => {
      const { worker, card } = await startBoth(s, { worker: { PERPBOT_CRASH_AT: "after-fill-commit" } });
      remember(card);
      s.pressApprove(card);
      await expectCrashAt(worker, "after-fill-commit");
      expect(s.count(ENTRY_ORDERS), "the fill was committed before the crash").toBe(1);
      await s.start("worker");
      await expectTradedOnce(s, card);
    });
  }, SCENARIO_TIMEOUT_MS);

  it("d1. Redis loses everything (FLUSHALL) between the approval and the worker's start: the trade happens once", async () => {
    await withScenario({}, async (s, remember) => {
      const { worker, card } = await startBoth(s);
      remember(card);
      const exit = await worker.stop();
      expect(exit.code, `worker should stop cleanly on SIGTERM, it ended with ${describeExit(exit)}`).toBe(0);
      const press = s.pressApprove(card);
      await s.waitForCallbackAnswer(press);
      // The press is acknowledged before it is decided: wait for the decision's commit, then flush.
      await waitFor(() => proposalStatuses(s).join() === "approved", 15_000, "the approval committed");
      expect(proposalStatuses(s)).toEqual(["approved"]);
      await s.redis.flushAll();
      await s.start("worker");
      await expectTradedOnce(s, card);
    });
  }, SCENARIO_TIMEOUT_MS);

  it("d2. Redis loses everything (FLUSHALL) under a running worker: polling resumes within the reconcile interval", async () => {
    await withScenario({}, async (s) => {
      const worker = await s.start("worker");
      await waitFor(() => s.count(`SELECT count(*) FROM "MarketSnapshot"`) >= 1, 30_000, "the first market poll");
      const before = lastSnapshotId(s);
      await s.redis.flushAll();
      await expectPollingResumes(s, before, "after FLUSHALL");
      expect(worker.isAlive(), "the worker is still running").toBe(true);
    });
  }, SCENARIO_TIMEOUT_MS);

  it("e. Redis restarts empty (connections dropped) right after an approval, both processes running: one trade, both keep going", async () => {
    await withScenario({}, async (s, remember) => {
      const { worker, bot, card } = await startBoth(s);
      remember(card);
      const press = s.pressApprove(card);
      await s.waitForCallbackAnswer(press);
      await s.redis.restart();
      const before = lastSnapshotId(s);
      await expectTradedOnce(s, card);
      expect(worker.isAlive(), "the worker is still running").toBe(true);
      expect(bot.isAlive(), "the bot is still running").toBe(true);
      await expectPollingResumes(s, before, "after the Redis restart");
    });
  }, SCENARIO_TIMEOUT_MS);
});
