import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import {
  ALICE, DESK_CHAT, SYMBOL, cleanupHarness, serveFundingAnomaly, waitFor, withScenario,
  type RoleProcess, type Scenario,
} from "../support/process-harness";
import type { RecordedMessage } from "../stand-ins/telegram-server";

/**
 * The account state — a manual pause, the drawdown size-halving and the drawdown 24 h pause —
 * lives in the database (Setting "risk.account"), not in a process. Each rule is set, both
 * processes are SIGKILLed, and NEW OS processes (`node dist/main.js worker|bot`) on the same SQLite
 * file must still enforce it: /status says so, and the signal job (the funding anomaly fires on
 * every poll, 3 s apart) creates no proposal while it holds.
 */

const SCENARIO_TIMEOUT_MS = 120_000;
/** A reply to a chat command (the bot long-polls the stand-in). */
const REPLY_MS = 15_000;
/**
 * While paused, how many signal computations to watch after a restart (polls are 3 s apart). The
 * served anomaly decays as each poll's 0.15% reading joins the baseline (it fires for ~2 polls),
 * so at least one of them must have fired: that one would have become a proposal.
 */
const PAUSED_SIGNALS = 3;
const PAUSED_SIGNALS_MS = 30_000;
const ACCOUNT_KEY = "risk.account";
const HOUR = 3_600_000;

afterAll(async () => {
  await cleanupHarness();
});

interface StoredAccount {
  peakEquity: number;
  sizeHalved: boolean;
  pausedUntil: number | null;
  pausedThisDescent: boolean;
  manualPause: { by: string; reason: string; at: number; requiresAdmin: boolean } | null;
  reviewSeq: number;
}

function readAccount(s: Scenario): StoredAccount | null {
  const row = s.sql<{ value: string }>(`SELECT value FROM "Setting" WHERE key = ?`, ACCOUNT_KEY)[0];
  return row === undefined ? null : (JSON.parse(row.value) as StoredAccount);
}

/** Read-write access to the scenario file (the harness only reads): only while no process runs. */
function writeAccount(s: Scenario, account: StoredAccount): void {
  const db = new Database(s.dbFile, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    db.prepare(`INSERT INTO "Setting" (key, value, updatedAt) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updatedAt = excluded.updatedAt`)
      .run(ACCOUNT_KEY, JSON.stringify(account), new Date().toISOString());
  } finally {
    db.close();
  }
}

const proposals = (s: Scenario): number => s.count(`SELECT count(*) FROM "Proposal"`);
const lastSignalId = (s: Scenario): number => s.count(`SELECT coalesce(max(id), 0) FROM "Signal"`);
const signalsSince = (s: Scenario, afterId: number): number => s.count(`SELECT count(*) FROM "Signal" WHERE id > ?`, afterId);
const firedSince = (s: Scenario, afterId: number): number => s.count(`SELECT count(*) FROM "Signal" WHERE id > ? AND fired = 1`, afterId);

/** Alice types `text` in the desk chat; resolves with the bot's first later message matching `reply`. */
async function command(s: Scenario, text: string, reply: RegExp): Promise<RecordedMessage> {
  const from = s.telegram.sentMessages.length;
  s.telegram.injectCommand(ALICE, DESK_CHAT, text);
  return s.telegram.waitFor(() => s.telegram.sentMessages.slice(from).find((m) => m.chatId === DESK_CHAT && reply.test(m.text)), REPLY_MS)
    .catch(() => { throw new Error(`no reply matching ${String(reply)} to ${text} within ${REPLY_MS} ms`); });
}

async function sigkill(...procs: RoleProcess[]): Promise<void> {
  const exits = await Promise.all(procs.map((p) => p.kill("SIGKILL")));
  for (const [i, exit] of exits.entries()) expect(exit.signal ?? exit.code, `${procs[i]?.name ?? "?"} should die by SIGKILL`).toSatisfy((v: unknown) => v === "SIGKILL" || v === 137);
}

/**
 * The funding rate the exchange stand-in serves now jumps to `rate` (the anomaly served by the
 * harness is 0.15%): against a baseline that has absorbed the earlier readings it fires again.
 */
function spikeFunding(s: Scenario, rate: number): void {
  const lastSettlement = Math.floor(Date.now() / (8 * HOUR)) * 8 * HOUR;
  s.exchange.setCurrentFunding("bybit", SYMBOL, { rate, nextFundingTs: lastSettlement + 8 * HOUR, intervalHours: 8, markPrice: 42_000 });
}

/**
 * While paused: the restarted worker polls and computes signals (at least one fires, with the
 * symbol free), yet no Proposal row appears, and the worker logs the pause as the reason.
 */
async function expectNoProposalWhilePolling(s: Scenario, worker: RoleProcess, afterSignalId: number, proposalsBefore: number, reason: RegExp): Promise<void> {
  await waitFor(() => signalsSince(s, afterSignalId) >= PAUSED_SIGNALS && firedSince(s, afterSignalId) >= 1, PAUSED_SIGNALS_MS,
    `${PAUSED_SIGNALS} signal computations, one fired at least, by the restarted worker`);
  expect(proposals(s), `Proposal rows after ${signalsSince(s, afterSignalId)} signals (${firedSince(s, afterSignalId)} fired) by the restarted worker`).toBe(proposalsBefore);
  expect(worker.output(), "the restarted worker skipped the fired signal because of the pause").toMatch(reason);
}

describe.sequential("account state survives a real restart (kill -9, new OS processes, one SQLite file)", () => {
  it("a manual /pause holds across a kill -9 of worker and bot until /resume", async () => {
    await withScenario({}, async (s, remember) => {
      const [worker, bot] = await Promise.all([s.start("worker"), s.start("bot")]);
      // The anomaly fires on the first poll: a card may be out before Alice can pause.
      const card = await s.waitForProposalCard();
      remember(card);

      const paused = await command(s, "/pause lunch", /^Trading is paused\./);
      expect(paused.text).toMatch(/Send \/resume to continue/);
      expect(readAccount(s)?.manualPause, "the pause is stored").toMatchObject({ by: expect.stringMatching(/^Alice/) as unknown, reason: "lunch" });
      // Free the symbol, so after the restart only the pause can stop a new proposal.
      const press = s.telegram.pressButton(ALICE, card.message.chatId, card.message.messageId, card.rejectData);
      await s.waitForCallbackAnswer(press);
      await waitFor(() => s.sql<{ status: string }>(`SELECT status FROM "Proposal"`).every((r) => r.status === "rejected"), 10_000, "the pending proposal to be rejected");
      const atPause = proposals(s);

      await sigkill(worker, bot);
      // The served anomaly has faded into the baseline by now: a higher rate makes the signal fire again.
      spikeFunding(s, 0.006);
      const restartedAt = lastSignalId(s);
      const [worker2] = await Promise.all([s.start("worker"), s.start("bot")]);

      const status = await command(s, "/status", /^perpbot — /);
      expect(status.text, "/status after the restart").toMatch(/^perpbot — PAPER trading PAUSED/);
      expect(status.text).toMatch(/paused by Alice/);
      await expectNoProposalWhilePolling(s, worker2, restartedAt, atPause, /"skipped":"Trading is paused by Alice[^"]*\(lunch\)/);

      await command(s, "/resume", /^Trading resumed\./);
      spikeFunding(s, 0.03);
      await waitFor(() => proposals(s) > atPause, 20_000, "a new proposal after /resume");
      expect(s.count(`SELECT count(*) FROM "Proposal" WHERE status = 'pending'`), "one new pending proposal").toBe(1);
    });
  }, SCENARIO_TIMEOUT_MS);

  it("the drawdown pause and size-halving hold across a kill -9 (read from the database, not recomputed)", async () => {
    // No market data at first (polls fail): the monitor applies the drawdown rules before any signal can propose.
    await withScenario({ anomaly: false }, async (s) => {
      // Listed, though: a symbol no venue lists stops the worker at start (a configuration error).
      s.exchange.addMarket("bybit", SYMBOL);
      writeAccount(s, { peakEquity: 12_000, sizeHalved: false, pausedUntil: null, pausedThisDescent: false, manualPause: null, reviewSeq: 0 });
      const worker = await s.start("worker");
      const startedAt = Date.now();
      await waitFor(() => { const a = readAccount(s); return a?.sizeHalved === true && a.pausedUntil !== null; }, 30_000,
        "the worker's monitor to halve size and pause on a 16.7% drawdown");
      const stored = readAccount(s);
      if (stored === null) throw new Error("risk.account vanished");
      expect(stored.pausedUntil ?? 0, "pausedUntil about 24 h ahead").toBeGreaterThanOrEqual(startedAt + 24 * HOUR - 60_000);
      expect(stored.pausedUntil ?? 0).toBeLessThanOrEqual(Date.now() + 24 * HOUR + 60_000);
      expect(stored).toMatchObject({ sizeHalved: true, pausedThisDescent: true, reviewSeq: 1, manualPause: null });
      await sigkill(worker);

      // With the peak back at today's equity nothing would pause again: the pause must be the stored one.
      writeAccount(s, { ...stored, peakEquity: 10_000 });
      expect(s.count(`SELECT count(*) FROM "Intent" WHERE kind = 'model-review'`), "the model review was queued (Intent kind 'model-review')").toBe(1);

      // A new bot alone first: it reads the stored state (no worker has had a chance to touch it).
      await s.start("bot");
      const status = await command(s, "/status", /^perpbot — /);
      expect(status.text, "/status after the restart").toMatch(/^perpbot — PAPER trading PAUSED/);
      expect(status.text).toMatch(/paused by the drawdown rule until/);
      expect(status.text).toMatch(/size halved/);

      serveFundingAnomaly(s.exchange);
      const restartedAt = lastSignalId(s);
      const worker2 = await s.start("worker");
      await expectNoProposalWhilePolling(s, worker2, restartedAt, 0, /"skipped":"Trading is paused by the drawdown rule until/);
      await s.telegram.waitFor(() => s.telegram.sentMessages.find((m) => /no proposal — Trading is paused by the drawdown rule until/.test(m.text)), REPLY_MS)
        .catch(() => { throw new Error("the bot never said the fired signal made no proposal because of the drawdown pause"); });
      expect(readAccount(s)?.pausedUntil, "the stored pause is untouched by the new worker").toBe(stored.pausedUntil);
      const again = await command(s, "/status", /^perpbot — /);
      expect(again.text, "/status with the new worker running").toMatch(/paused by the drawdown rule until/);
    });
  }, SCENARIO_TIMEOUT_MS);
});
