import type { App } from "../app/context";
import { sendText } from "../app/send-text";
import { reconcileLivePositions } from "../app/live-positions";
import type { Closing, Open } from "../core/trading/types";
import { loadTrades } from "../store/trade-repo";
import type { Intent } from "../core/trading/intents";
import { pendingIntents, reopenIntent, type StoredIntent } from "../store/outbox";
import { dispatchIntents, ensureJob } from "./dispatcher";
import { schedulersPresent, upsertSchedulers, type Queues, type SchedulePlan } from "./queues";

export interface ReconcileReport {
  /** Pending intents given a job again (none existed, or it had failed or finished unmarked). */
  readonly requeued: number;
  /** Trades found half-way with no live intent for the next step, given one. */
  readonly repaired: number;
  /** Chat cards behind their trade's state, given a card intent. */
  readonly staleCards: number;
  /** The job schedulers were missing from Redis and were re-created. */
  readonly schedulersRestored: boolean;
}

export interface Reconciler {
  /** One pass now (also what the timer runs). */
  runOnce(): Promise<ReconcileReport>;
  /** Ask for a pass soon (e.g. a stalled job was just noticed). */
  kick(): void;
  stop(): Promise<void>;
}

/** A pending intent younger than this is left to the fast path that wrote it. */
const DEFAULT_GRACE_MS = 3_000;
const CARD_WINDOW_MS = 7 * 86_400_000;

/**
 * The database is the truth; Redis is a conveyor that may be emptied at any time. At start and
 * then every interval this finds whatever was left behind — an intent never dispatched or whose
 * job vanished (FLUSHALL, a Redis restart, a crash between commit and dispatch), a trade stuck
 * between states with nothing queued to move it, a card showing an old state, missing job
 * schedulers — and finishes it. Every step is idempotent, so several workers may run it at once.
 */
export function startReconciler(deps: {
  app: App; queues: Queues; intervalMs: number; schedule: SchedulePlan | null;
  /** How long fresh work is left to the fast path before it counts as lost (chaos runs shorten it). */
  graceMs?: number;
}): Reconciler {
  const { app, queues } = deps;
  const GRACE_MS = deps.graceMs ?? DEFAULT_GRACE_MS;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<ReconcileReport> | null = null;
  let first = true;
  let stopped = false;

  async function restoreSchedulers(): Promise<boolean> {
    if (deps.schedule === null) return false;
    const present = await schedulersPresent(queues, deps.schedule);
    await upsertSchedulers(queues, deps.schedule);
    if (present || first) return false;
    app.logger.warn("the job schedulers were gone from Redis (flushed or restarted without persistence); re-created them — polling and monitoring resume");
    await sendText(app, `schedulers-restored-${app.clock()}`, "⚠️ Redis lost perpbot's queues (flushed or restarted). The schedules were re-created and unfinished work re-queued from the database; nothing was lost.", "system");
    return true;
  }

  /** Trades between states whose next step has no live intent: give them one again. */
  async function repairTrades(): Promise<number> {
    const now = app.clock();
    const stuck = await app.db.proposal.findMany({
      where: { status: { in: ["approved", "submitting", "unknown", "closing"] }, OR: [{ updatedAt: null }, { updatedAt: { lt: new Date(now - GRACE_MS) } }] },
      select: { id: true, status: true },
    });
    let repaired = 0;
    for (const trade of stuck) {
      const intent: Intent = trade.status === "closing"
        ? { kind: "close", proposalId: trade.id, reason: "manual" }
        : { kind: "execute", proposalId: trade.id };
      const id = intent.kind === "close" ? `close-${trade.id}` : `execute-${trade.id}`;
      const row = await app.db.intent.findUnique({ where: { id }, select: { status: true, payloadJson: true } });
      if (row?.status === "pending") continue;
      // Keep the original payload (the close reason) when the intent exists; it only needs re-opening.
      const original = row ? (JSON.parse(row.payloadJson) as Intent) : intent;
      await reopenIntent(app.db, original, now);
      app.logger.warn({ proposalId: trade.id, status: trade.status }, "a trade was left half-way with nothing queued; resuming it");
      repaired += 1;
    }
    return repaired;
  }

  /** Cards whose stored version is behind the trade's: queue the edit that brings them up to date. */
  async function staleCards(): Promise<number> {
    const now = app.clock();
    // Cards of trades that changed in the last week and have settled for a moment.
    const messages = await app.db.chatMessage.findMany({
      where: { proposal: { updatedAt: { gte: new Date(now - CARD_WINDOW_MS), lt: new Date(now - GRACE_MS) } } },
      select: { proposalId: true, version: true, proposal: { select: { version: true } } },
    });
    const behind = new Map<string, number>();
    for (const m of messages) if (m.version < m.proposal.version) behind.set(m.proposalId, m.proposal.version);
    let queued = 0;
    for (const [proposalId, version] of behind) {
      const id = `card-${proposalId}-${version}`;
      const existing = await app.db.intent.findUnique({ where: { id }, select: { status: true } });
      if (existing !== null) continue; // pending (dispatched below) or already tried: not looped forever
      await reopenIntent(app.db, { kind: "card", proposalId }, now, version);
      queued += 1;
    }
    return queued;
  }

  /** Live only: the venue's positions, stops, closes and funding against the journal. A venue error waits for the next pass. */
  async function reconcileLive(): Promise<void> {
    try {
      const live = new Set((await app.db.position.findMany({ where: { mode: "live", status: { in: ["open", "closing"] } }, select: { proposalId: true } })).map((p) => p.proposalId));
      const trades = (await loadTrades(app.db, ["open", "closing"])).map((t) => t.state as Open | Closing).filter((t) => live.has(t.terms.id));
      const report = await reconcileLivePositions(app, trades);
      if (report.closedOnVenue + report.stopsReplaced + report.unknownPositions > 0) app.logger.warn(report, "live positions reconciled with the venue");
    } catch (error) {
      app.logger.warn({ error: error instanceof Error ? error.message : String(error) }, "could not compare positions with the venue; trying again next pass");
    }
  }

  async function requeue(): Promise<number> {
    const now = app.clock();
    const pending: StoredIntent[] = await pendingIntents(app.db, now - GRACE_MS);
    let requeued = 0;
    for (const stored of pending) {
      if (stored.createdAt > now - GRACE_MS) continue;
      const outcome = await ensureJob(queues, stored);
      if (outcome !== "alive") requeued += 1;
    }
    if (requeued > 0) app.logger.warn({ requeued }, "re-queued work the queue had lost or left unfinished");
    // Note the dispatch time of everything just checked, so the next pass looks again only later.
    await dispatchIntents({ db: app.db, queues, logger: app.logger, clock: app.clock }, pending.filter((p) => p.dispatchedAt === null));
    return requeued;
  }

  async function pass(): Promise<ReconcileReport> {
    const schedulersRestored = await restoreSchedulers();
    if (app.broker.mode === "live") await reconcileLive();
    const repaired = await repairTrades();
    const cards = await staleCards();
    const requeued = await requeue();
    first = false;
    return { requeued, repaired, staleCards: cards, schedulersRestored };
  }

  function runOnce(): Promise<ReconcileReport> {
    if (running) return running;
    running = pass().finally(() => { running = null; });
    return running;
  }

  const tick = (): void => {
    if (stopped) return;
    runOnce()
      .catch((error: unknown) => app.logger.warn({ error: error instanceof Error ? error.message : String(error) }, "reconciler pass failed; trying again next interval"))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, deps.intervalMs);
      });
  };
  tick();

  return {
    runOnce,
    kick() {
      if (stopped) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(tick, 500);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
