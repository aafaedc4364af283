import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { newProposalId } from "../../src/app/compute-signals";
import type { App } from "../../src/app/context";
import { pauseTrading } from "../../src/app/pause-trading";
import { proposeTrade, type ProposalRequest } from "../../src/app/propose-trade";
import { applyTradeEvent } from "../../src/app/trade-flow";
import { confirmAccountUnchanged, readAccount, readAccountRow } from "../../src/app/trading-state";
import type { Actor } from "../../src/chat/transport";
import { createPaperBroker } from "../../src/exchange/paper-broker";
import { openDatabase, transact, type Db } from "../../src/store/database";
import { compareAndSetSetting, GuardConflict } from "../../src/store/guard-rows";
import { claimSymbol, readSymbolClaims } from "../../src/store/symbol-claims";
import { seedProposal } from "../support/fixtures";
import { silentLogger, tempDatabase, useRecordingApps } from "../support/test-env";
import type { RacerOrder } from "./guard-racer";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * Several processes on one database, as two Prisma clients (two connections) on one SQLite file:
 * each read-then-write that decides money or state is raced by two callers, and exactly one wins.
 * Each guard is also driven step by step (both read, then both write) so the loser is certain.
 */

const bob: Actor = { platform: "discord", userId: "222", displayName: "bob" };
const newApp = useRecordingApps();
const ACTIVE = ["pending", "approved", "submitting", "unknown", "open", "closing"];

/** A second "process": the same settings and clock over its own client on the same file. */
async function twinOf(app: App, url: string): Promise<{ twin: App; dispatched: string[]; close: () => Promise<void> }> {
  const db: Db = await openDatabase(url);
  const dispatched: string[] = [];
  const twin: App = {
    ...app, db, logger: silentLogger,
    broker: createPaperBroker({ db, takerFeeBps: app.settings.takerFeeBps, slippageBps: app.settings.slippageBps, clock: app.clock }),
    dispatch: (ids) => { dispatched.push(...ids); return Promise.resolve(); },
  };
  return { twin, dispatched, close: () => db.$disconnect() };
}

/**
 * Both connections live in this one test process, and better-sqlite3 waits out a lock
 * synchronously: a connection waiting for the other's lock would block the very event loop the
 * other needs to commit. So here a lock is refused at once and `transact` retries it after an
 * asynchronous pause — what separate processes get from the busy timeout.
 */
async function noSyncLockWait(db: Db, url: string): Promise<void> {
  if (url.startsWith("file:")) await db.$queryRawUnsafe("PRAGMA busy_timeout = 0");
}

/** Two apps on one file: the recording app's own database, and a twin on a second connection. */
async function pair(): Promise<{ a: App; b: App; bDispatched: string[]; close: () => Promise<void> }> {
  const { db, url, cleanup } = await tempDatabase();
  const env = await newApp();
  const a: App = { ...env.app, db, broker: createPaperBroker({ db, takerFeeBps: 5.5, slippageBps: 2, clock: env.app.clock }), dispatch: () => Promise.resolve() };
  const { twin, dispatched, close } = await twinOf(a, url);
  await Promise.all([noSyncLockWait(a.db, url), noSyncLockWait(twin.db, url)]);
  return { a, b: twin, bDispatched: dispatched, close: async () => { await close(); await cleanup(); } };
}

/**
 * Two real processes (guard-racer.ts), each with its own client on the file, running `rounds`
 * in lockstep: round k starts at the same instant in both. Returns each racer's per-round results.
 */
async function race(url: string, app: App, racers: readonly Pick<RacerOrder, "name" | "op" | "rounds">[], stepMs = 400): Promise<{ ok: boolean; value: unknown }[][]> {
  // Time for both to start (tsx, Prisma) on a busy two-core box before the first round.
  const startAt = Date.now() + 12_000;
  return Promise.all(racers.map(async (r) => {
    const order: RacerOrder = { ...r, url, settings: app.settings, now: app.clock(), startAt, stepMs };
    const { stdout } = await run(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "guard-racer.ts"), JSON.stringify(order)], { cwd: ROOT, timeout: 60_000 });
    return JSON.parse(stdout.trim().split("\n").at(-1) ?? "[]") as { ok: boolean; value: unknown }[];
  }));
}

const request = (app: App, symbol: string): ProposalRequest => ({
  id: newProposalId(), symbol, side: "short", horizonHours: 8, signalId: null, now: app.clock(), regime: "normal",
  venueView: { price: 0.6, funding: { current: { ts: app.clock(), rate: 0.0005 }, intervalHours: 8, history: [] } },
});

describe("one trade in flight per symbol, across processes (symbol claims)", () => {
  it("two processes proposing the same symbol at the same instant: exactly one proposal, every round", async () => {
    const { app } = await newApp();
    const { url, cleanup } = await tempDatabase();
    try {
      const symbols = Array.from({ length: 10 }, (_, k) => `C${k}/USDT:USDT`);
      const [first, second] = await race(url, app, [{ name: "w1", op: "propose", rounds: symbols }, { name: "w2", op: "propose", rounds: symbols }]);
      const check = await openDatabase(url);
      try {
        for (const [k, symbol] of symbols.entries()) {
          const made = [first?.[k], second?.[k]].filter((r) => r?.ok === true && (r.value as { proposalId: string | null }).proposalId !== null);
          expect(made, `round ${k}: ${JSON.stringify([first?.[k], second?.[k]])}`).toHaveLength(1);
          expect(await check.proposal.count({ where: { symbol } }), `${symbol} proposals`).toBe(1);
        }
      } finally {
        await check.$disconnect();
      }
    } finally {
      await cleanup();
    }
  }, 90_000);

  it("both read the same free claim, both try to take it: the second write fails and nothing of it is kept", async () => {
    const { a, b, close } = await pair();
    try {
      const symbol = "MNT/USDT:USDT";
      const claimA = await readSymbolClaims(a.db, [symbol], ACTIVE);
      const claimB = await readSymbolClaims(b.db, [symbol], ACTIVE);
      const first = claimA.get(symbol);
      const second = claimB.get(symbol);
      if (first === undefined || second === undefined) throw new Error("no claim read");
      expect(first.busy).toBeNull();
      await transact(a.db, (tx) => claimSymbol(tx, first, "pa"));
      await expect(transact(b.db, (tx) => claimSymbol(tx, second, "pb"))).rejects.toBeInstanceOf(GuardConflict);
      expect((await a.db.setting.findUniqueOrThrow({ where: { key: `trade.symbol.${symbol}` } })).value).toBe("pa");
    } finally {
      await close();
    }
  });

  it("a symbol whose last trade ended is free again; one still in flight from before claim rows existed keeps it busy", async () => {
    const { app } = await newApp();
    const legacy = await seedProposal(app, { symbol: "OLD/USDT:USDT" });
    const old = await proposeTrade(app, request(app, "OLD/USDT:USDT"));
    expect(old.skipped).toContain(legacy);
    const first = await proposeTrade(app, request(app, "NEW/USDT:USDT"));
    await app.db.proposal.update({ where: { id: first.proposalId ?? "" }, data: { status: "rejected" } });
    expect((await proposeTrade(app, request(app, "NEW/USDT:USDT"))).proposalId).not.toBeNull();
  });
});

describe("deciding a proposal once, across processes (the version-conditional save)", () => {
  it("Approve pressed in two processes at the same instant: one approval, one execution intent, every round", async () => {
    const { app } = await newApp();
    const { db, url, cleanup } = await tempDatabase();
    try {
      const seeded: App = { ...app, db };
      const ids: string[] = [];
      for (let k = 0; k < 8; k += 1) ids.push(await seedProposal(seeded, { symbol: `D${k}/USDT:USDT` }));
      const [first, second] = await race(url, app, [{ name: "alice", op: "approve", rounds: ids }, { name: "bob", op: "approve", rounds: ids }]);
      for (const [k, id] of ids.entries()) {
        const wins = [first?.[k], second?.[k]].filter((r) => r?.ok === true);
        expect(wins, `round ${k}: ${JSON.stringify([first?.[k], second?.[k]])}`).toHaveLength(1);
        expect(await db.proposal.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "approved", version: 1 });
        expect(await db.intent.count({ where: { kind: "execute", payloadJson: { contains: id } } })).toBe(1);
      }
    } finally {
      await cleanup();
    }
  }, 90_000);

  it("a writer that read before another's commit is refused and decides again on the new state", async () => {
    const { a, b, close } = await pair();
    try {
      const id = await seedProposal(a);
      let release: () => void = () => undefined;
      const bDone = new Promise<void>((resolve) => { release = resolve; });
      const decisions: string[] = [];
      // A reads the pending proposal, then waits (its read is now stale) until B has rejected it.
      const slow = applyTradeEvent(a, id, async (state) => {
        decisions.push(`a saw ${state.status}`);
        if (decisions.length === 1) await bDone;
        return state.status === "pending" ? { kind: "approve", by: "alice", auto: false, check: { ok: true } } : null;
      });
      await new Promise((r) => setTimeout(r, 50));
      await applyTradeEvent(b, id, (state) => (state.status === "pending" ? { kind: "reject", by: "bob" } : null));
      release();
      const outcome = await slow;
      expect(decisions).toEqual(["a saw pending", "a saw rejected"]);
      expect(outcome.ok && outcome.changed).toBe(false);
      expect(await a.db.proposal.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "rejected", version: 1, decidedBy: "bob" });
    } finally {
      await close();
    }
  });
});

describe("the account row (pause, drawdown, peak equity) across processes", () => {
  it("a /pause and an equity mark at the same instant in two processes: neither is lost", async () => {
    const { app } = await newApp();
    const { db, url, cleanup } = await tempDatabase();
    try {
      // Round k: one process pauses (reason k), the other marks a new peak; then the next round's
      // pause must find the previous one still there (a second pause is refused: still paused).
      const peaks = Array.from({ length: 8 }, (_, k) => String(10_000 + (k + 1) * 100));
      const [pauses, marks] = await race(url, app, [{ name: "alice", op: "pause", rounds: ["r0"] }, { name: "monitor", op: "mark", rounds: peaks }], 150);
      expect(pauses?.[0]?.ok, JSON.stringify(pauses)).toBe(true);
      expect(marks?.every((m) => m.ok), JSON.stringify(marks)).toBe(true);
      const account = await readAccount({ ...app, db });
      expect(account.manualPause?.reason).toBe("r0");
      expect(account.peakEquity).toBe(Number(peaks.at(-1)));
    } finally {
      await cleanup();
    }
  }, 90_000);

  it("both read the row, both write: the second write matches nothing", async () => {
    const { a, b, close } = await pair();
    try {
      const ra = await readAccountRow(a);
      const rb = await readAccountRow(b);
      expect(ra.raw).toBe(rb.raw);
      const next = (peak: number): string => JSON.stringify({ ...ra.state, peakEquity: peak });
      expect(await transact(a.db, (tx) => compareAndSetSetting(tx, "risk.account", ra.raw, next(11_000)))).toBe(true);
      expect(await transact(b.db, (tx) => compareAndSetSetting(tx, "risk.account", rb.raw, next(12_000)))).toBe(false);
      expect((await readAccount(a)).peakEquity).toBe(11_000);
    } finally {
      await close();
    }
  });

  it("a proposal whose read came before another process's /pause is refused at write time", async () => {
    const { a, b, close } = await pair();
    try {
      const read = await readAccountRow(a);
      await pauseTrading(b, bob, "news");
      await expect(transact(a.db, (tx) => confirmAccountUnchanged(tx, read.raw))).rejects.toBeInstanceOf(GuardConflict);
      // Read again, the proposal sees the pause.
      expect((await proposeTrade(a, request(a, "P/USDT:USDT"))).skipped).toMatch(/paused by bob/);
      expect(await a.db.proposal.count()).toBe(0);
    } finally {
      await close();
    }
  });
});
