import { randomBytes } from "node:crypto";
import type { ExitReason } from "../core/trading/intents";
import type { Actor } from "../chat/transport";
import { UserError, type App } from "./context";
import { positionList, type PositionRow } from "./position-list";
import { applyTradeEvent } from "./trade-flow";

/** A /close confirmation is good for this long; a later press says so and closes nothing. */
export const CLOSE_CONFIRM_MS = 2 * 60_000;
const KEY_PREFIX = "close.confirm.";
/** Answered confirmations are kept a day (a late press still gets a precise answer), then pruned. */
const KEEP_MS = 86_400_000;

interface StoredConfirmation {
  /** What was typed, resolved: a trade id, or "all". */
  readonly target: string;
  /** Exactly the positions the confirmation message listed: a position opened after it is not closed by it. */
  readonly proposalIds: readonly string[];
  readonly requestedBy: string;
  readonly at: number;
  readonly expiresAt: number;
  readonly state: "waiting" | "confirmed" | "cancelled";
  readonly decidedBy: string | null;
  readonly decidedAt: number | null;
}

export interface CloseRequest {
  readonly confirmId: string;
  /** A trade id, or "all". */
  readonly target: string;
  readonly positions: readonly PositionRow[];
  readonly expiresAt: number;
}

const who = (actor: Actor): string => `${actor.displayName} (${actor.platform})`;
const keyOf = (confirmId: string): string => `${KEY_PREFIX}${confirmId}`;

/**
 * The first half of /close: nothing is closed, a confirmation is stored (what exactly it would
 * close, until when) for its Confirm button. `target`: a trade id, a watched symbol's name or its
 * base coin, or "all". Only open positions qualify; one already closing is said to be.
 */
export async function requestClose(app: App, target: string, actor: Actor): Promise<CloseRequest> {
  const now = app.clock();
  const rows = await positionList(app, now);
  const open = rows.filter((r) => r.status === "open");
  const word = target.trim();
  let chosen: PositionRow[];
  if (word.toLowerCase() === "all") {
    if (open.length === 0) throw new UserError(rows.length === 0 ? "No open positions: nothing to close." : "Every position is already being closed.");
    chosen = open;
  } else {
    const base = (s: string): string => (s.split("/")[0] ?? s).toUpperCase();
    const match = rows.filter((r) => r.id === word.toLowerCase() || r.symbol.toUpperCase() === word.toUpperCase() || base(r.symbol) === word.toUpperCase());
    const list = rows.length === 0 ? "There are no open positions." : `Open: ${rows.map((r) => `${r.id} (${r.symbol} ${r.side})`).join(", ")}.`;
    if (match.length === 0) throw new UserError(`No open position "${word.slice(0, 40)}". ${list} Use an id from /positions, or all.`);
    if (match.length > 1) throw new UserError(`"${word.slice(0, 40)}" matches ${match.length} positions. ${list} Use one id.`);
    const only = match[0] as PositionRow;
    if (only.status !== "open") throw new UserError(`${only.id} (${only.symbol}) is already being closed.`);
    chosen = [only];
  }
  const confirmId = randomBytes(5).toString("hex");
  const resolved = chosen.length === 1 && word.toLowerCase() !== "all" ? (chosen[0] as PositionRow).id : "all";
  const stored: StoredConfirmation = {
    target: resolved, proposalIds: chosen.map((r) => r.id), requestedBy: who(actor), at: now, expiresAt: now + CLOSE_CONFIRM_MS,
    state: "waiting", decidedBy: null, decidedAt: null,
  };
  await pruneConfirmations(app, now);
  await app.db.setting.create({ data: { key: keyOf(confirmId), value: JSON.stringify(stored) } });
  return { confirmId, target: resolved, positions: chosen, expiresAt: stored.expiresAt };
}

async function pruneConfirmations(app: App, now: number): Promise<void> {
  const rows = await app.db.setting.findMany({ where: { key: { startsWith: KEY_PREFIX } } });
  const old = rows.filter((r) => (parse(r.value)?.expiresAt ?? 0) < now - KEEP_MS).map((r) => r.key);
  if (old.length > 0) await app.db.setting.deleteMany({ where: { key: { in: old } } });
}

function parse(value: string): StoredConfirmation | null {
  try {
    const v = JSON.parse(value) as StoredConfirmation;
    return Array.isArray(v.proposalIds) && typeof v.expiresAt === "number" ? v : null;
  } catch {
    return null;
  }
}

export interface ClosedNow { readonly id: string; readonly symbol: string; readonly side: string }
export interface NotClosed { readonly id: string; readonly symbol: string; readonly why: string }

export type CloseAnswer =
  | { readonly kind: "unknown" }
  | { readonly kind: "expired"; readonly expiresAt: number }
  | { readonly kind: "cancelled"; readonly by: string }
  /** `closing`: exit orders this press queued; `notClosed`: positions that had moved on (already closing, stopped out…). */
  | { readonly kind: "confirmed"; readonly by: string; readonly closing: readonly ClosedNow[]; readonly notClosed: readonly NotClosed[]; readonly repeated: boolean }
  | { readonly kind: "cancelled-now"; readonly by: string }
  | { readonly kind: "too-late-to-cancel"; readonly by: string };

const reasonWords: Record<ExitReason, string> = {
  "stop-loss": "its stop-loss", "take-profit": "its take-profit", horizon: "its horizon", manual: "a manual close",
  liquidation: "liquidation", exchange: "the exchange",
};

/**
 * Moves a waiting confirmation to `state`, conditional on the row being exactly as read: of two
 * presses at once (Confirm and Cancel, or Confirm on two platforms) one wins, the other re-reads.
 */
async function decide(app: App, confirmId: string, read: { value: string; stored: StoredConfirmation }, state: "confirmed" | "cancelled", by: string): Promise<boolean> {
  const value = JSON.stringify({ ...read.stored, state, decidedBy: by, decidedAt: app.clock() });
  const { count } = await app.db.setting.updateMany({ where: { key: keyOf(confirmId), value: read.value }, data: { value } });
  return count === 1;
}

async function readConfirmation(app: App, confirmId: string): Promise<{ value: string; stored: StoredConfirmation } | null> {
  const row = await app.db.setting.findUnique({ where: { key: keyOf(confirmId) } });
  const stored = row === null ? null : parse(row.value);
  return row === null || stored === null ? null : { value: row.value, stored };
}

/**
 * The Confirm press: the confirmation is marked confirmed first (so a Cancel can no longer win),
 * then each listed position goes open → closing through the trade lifecycle: the exit order is an
 * intent written in the same transaction, so it is sent once and survives a restart. A second
 * press, on any platform, closes nothing more: the lifecycle takes a close request only from an
 * open trade and a save is conditional on the version read. It does step the trades again, so a
 * press after a crash between the mark and the closes finishes them.
 */
export async function confirmClose(app: App, confirmId: string, actor: Actor): Promise<CloseAnswer> {
  const by = who(actor);
  for (;;) {
    const read = await readConfirmation(app, confirmId);
    if (read === null) return { kind: "unknown" };
    const { stored } = read;
    if (stored.state === "cancelled") return { kind: "cancelled", by: stored.decidedBy ?? "someone" };
    if (stored.state === "waiting") {
      if (app.clock() > stored.expiresAt) return { kind: "expired", expiresAt: stored.expiresAt };
      if (!(await decide(app, confirmId, read, "confirmed", by))) continue;
    }
    const repeated = stored.state === "confirmed";
    const { closing, notClosed } = await closeListed(app, stored.proposalIds, repeated ? stored.decidedBy ?? by : by);
    return { kind: "confirmed", by: repeated ? stored.decidedBy ?? by : by, closing, notClosed, repeated };
  }
}

async function closeListed(app: App, proposalIds: readonly string[], by: string): Promise<{ closing: ClosedNow[]; notClosed: NotClosed[] }> {
  const closing: ClosedNow[] = [];
  const notClosed: NotClosed[] = [];
  for (const id of proposalIds) {
    const outcome = await applyTradeEvent(app, id, (state) => (state.status === "open" ? { kind: "close-request", by } : null));
    const s = outcome.state;
    if (outcome.ok && outcome.changed && s.status === "closing") {
      closing.push({ id, symbol: s.terms.symbol, side: s.terms.side });
      continue;
    }
    const why = s.status === "closing" ? "already being closed"
      : s.status === "closed" ? `already closed by ${reasonWords[s.reason]}`
      : outcome.ok ? `it is ${s.status}` : outcome.reason;
    notClosed.push({ id, symbol: s.terms.symbol, why });
  }
  return { closing, notClosed };
}

/** The Cancel press: the confirmation can no longer close anything. Too late once confirmed. */
export async function cancelClose(app: App, confirmId: string, actor: Actor): Promise<CloseAnswer> {
  const by = who(actor);
  for (;;) {
    const read = await readConfirmation(app, confirmId);
    if (read === null) return { kind: "unknown" };
    const { stored } = read;
    if (stored.state === "confirmed") return { kind: "too-late-to-cancel", by: stored.decidedBy ?? "someone" };
    if (stored.state === "cancelled") return { kind: "cancelled", by: stored.decidedBy ?? "someone" };
    if (await decide(app, confirmId, read, "cancelled", by)) return { kind: "cancelled-now", by };
  }
}
