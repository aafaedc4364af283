import Decimal from "decimal.js";
import { z } from "zod";
import { isDrawdownPaused, updateDrawdown, type DrawdownState } from "../risk/drawdown";
import type { RiskParams } from "../risk/sizing";
import type { TradingGate } from "./approval-check";
import type { Intent } from "./intents";
import { tradePnl } from "./orders";
import type { Closing, Open } from "./types";

/**
 * The account's own small state machine: the drawdown rules (via risk/drawdown.ts) and pauses.
 * `peakEquity` is a number, as in DrawdownState: it is a reference for a percentage rule, never
 * summed, and a plain number keeps the stored JSON simple. Equity itself is computed in Decimal.
 */
export interface ManualPause {
  readonly by: string;
  readonly reason: string;
  readonly at: number;
  /** Set on a fail-safe pause (unreadable state): only an admin may lift it. */
  readonly requiresAdmin: boolean;
}

export interface AccountState extends DrawdownState {
  readonly manualPause: ManualPause | null;
  /** Counts drawdown pauses, so each one's model review and message has its own key. */
  readonly reviewSeq: number;
}

export type AccountEvent =
  | { readonly kind: "equity"; readonly equity: Decimal }
  | { readonly kind: "pause"; readonly by: string; readonly reason: string }
  | { readonly kind: "resume"; readonly by: string; readonly admin: boolean };

export type AccountResult =
  | { readonly ok: true; readonly state: AccountState; readonly intents: readonly Intent[] }
  | { readonly ok: false; readonly reason: string };

const iso = (ts: number): string => new Date(ts).toISOString();
const pct = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

export function initialAccountState(equity: Decimal): AccountState {
  return { peakEquity: equity.toNumber(), sizeHalved: false, pausedUntil: null, pausedThisDescent: false, manualPause: null, reviewSeq: 0 };
}

export function applyAccountEvent(state: AccountState, event: AccountEvent, now: number, risk: RiskParams): AccountResult {
  switch (event.kind) {
    case "equity": return { ok: true, ...onEquity(state, event.equity, now, risk) };
    case "pause": {
      if (state.manualPause) return { ok: false, reason: `Nothing done: trading is already paused by ${state.manualPause.by} (${state.manualPause.reason}).` };
      const manualPause = { by: event.by, reason: event.reason, at: now, requiresAdmin: false };
      const text = `Trading paused by ${event.by} (${event.reason}). Open positions keep their stops. Send /resume to lift the pause.`;
      return { ok: true, state: { ...state, manualPause }, intents: [{ kind: "text", key: `pause-${now}`, text, event: "drawdown" }] };
    }
    case "resume": return resume(state, event, now);
  }
}

function onEquity(state: AccountState, equity: Decimal, now: number, risk: RiskParams): { state: AccountState; intents: Intent[] } {
  const update = updateDrawdown(state, equity.toNumber(), now, risk);
  let reviewSeq = state.reviewSeq;
  const intents: Intent[] = [];
  for (const e of update.events) {
    switch (e.kind) {
      case "size-halved":
        intents.push({ kind: "text", key: `size-halved-${now}`, text: `Drawdown is ${pct(e.drawdown)} from the equity peak: position size is halved until it is back under ${pct(risk.halveSizeDrawdown / 2)}.`, event: "drawdown" });
        break;
      case "size-restored":
        intents.push({ kind: "text", key: `size-restored-${now}`, text: `Drawdown is back to ${pct(e.drawdown)}: position size is restored to normal.`, event: "drawdown" });
        break;
      case "paused": {
        reviewSeq += 1;
        const key = `drawdown-${reviewSeq}`;
        intents.push({ kind: "model-review", key, reason: `drawdown of ${pct(e.drawdown)} from the equity peak` });
        intents.push({ kind: "text", key, text: `Drawdown is ${pct(e.drawdown)} from the equity peak: trading is paused until ${iso(e.until)} while the model is reviewed. Open positions keep their stops.`, event: "drawdown" });
        break;
      }
      case "pause-ended":
        intents.push({ kind: "text", key: `pause-ended-${state.pausedUntil ?? now}`, text: "The drawdown pause is over: trading resumes (at half size while the drawdown lasts).", event: "drawdown" });
        break;
    }
  }
  return { state: { ...state, ...update.state, reviewSeq }, intents };
}

function resume(state: AccountState, event: { by: string; admin: boolean }, now: number): AccountResult {
  const drawdownPaused = isDrawdownPaused(state, now);
  if (!state.manualPause && !drawdownPaused) return { ok: false, reason: "Nothing done: trading is not paused." };
  if (state.manualPause?.requiresAdmin && !event.admin) {
    return { ok: false, reason: `Trading is paused by ${state.manualPause.by} (${state.manualPause.reason}); only an admin can lift this pause.` };
  }
  if (drawdownPaused && !event.admin) {
    return { ok: false, reason: `Trading is paused by the drawdown rule until ${iso(state.pausedUntil ?? now)} while the model is reviewed; it resumes on its own. Only an admin can lift it early.` };
  }
  const early = drawdownPaused && state.pausedUntil !== null
    ? ` The drawdown pause was lifted early by an admin, ${((state.pausedUntil - now) / 3_600_000).toFixed(1)} h before it would have ended.`
    : "";
  // pausedThisDescent stays set: lifting the pause must not let the same descent pause again at once.
  const next: AccountState = { ...state, manualPause: null, pausedUntil: drawdownPaused ? null : state.pausedUntil };
  return { ok: true, state: next, intents: [{ kind: "text", key: `resume-${now}`, text: `Trading resumed by ${event.by}.${early}`, event: "drawdown" }] };
}

export function tradingGate(account: AccountState, now: number): TradingGate {
  const manual = account.manualPause;
  if (manual) {
    return {
      open: false,
      reason: manual.requiresAdmin
        ? `Trading is paused by ${manual.by} (${manual.reason}). An admin must send /resume to lift the pause.`
        : `Trading is paused by ${manual.by} (${manual.reason}). Send /resume to lift the pause.`,
    };
  }
  if (isDrawdownPaused(account, now)) {
    return { open: false, reason: `Trading is paused by the drawdown rule until ${iso(account.pausedUntil ?? now)} while the model is reviewed. It resumes on its own.` };
  }
  return { open: true, reason: "Trading is active." };
}

export const sizeMultiplier = (account: AccountState): 1 | 0.5 => (account.sizeHalved ? 0.5 : 1);

const accountSchema = z.object({
  peakEquity: z.number().nonnegative(),
  sizeHalved: z.boolean(),
  pausedUntil: z.number().nullable(),
  pausedThisDescent: z.boolean(),
  manualPause: z.object({ by: z.string(), reason: z.string(), at: z.number(), requiresAdmin: z.boolean() }).nullable(),
  reviewSeq: z.number().int().nonnegative(),
});

/**
 * Reads the stored state. Anything that does not validate fails SAFE: paused until an admin
 * resumes, at half size, and `corrupt` so the shell can say so (the pause reason says it too).
 */
export function parseAccountState(json: unknown, now = 0): { state: AccountState; corrupt: boolean } {
  const parsed = accountSchema.safeParse(json);
  if (parsed.success) return { state: parsed.data, corrupt: false };
  // Keep a readable peak if there is one, so the halving lasts until the real drawdown recovers.
  const peak = typeof json === "object" && json !== null ? (json as { peakEquity?: unknown }).peakEquity : undefined;
  return {
    corrupt: true,
    state: {
      peakEquity: typeof peak === "number" && Number.isFinite(peak) && peak > 0 ? peak : 0,
      sizeHalved: true,
      pausedUntil: null,
      pausedThisDescent: true,
      manualPause: { by: "the bot", reason: "its stored risk state was unreadable", at: now, requiresAdmin: true },
      reviewSeq: 0,
    },
  };
}

/** Starting equity + realized PnL of closed trades + mark-to-market of open ones, in Decimal. */
export function equityOf(
  startingEquity: Decimal,
  realized: readonly Decimal[],
  open: readonly { readonly trade: Open | Closing; readonly mark: Decimal | number }[],
): Decimal {
  let equity = realized.reduce((sum, pnl) => sum.plus(pnl), startingEquity);
  for (const { trade, mark } of open) {
    equity = equity.plus(tradePnl(trade.terms.side, trade.position, trade.status === "closing" ? trade.exit : null, new Decimal(mark)));
  }
  return equity;
}
