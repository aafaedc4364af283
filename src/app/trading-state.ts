import { transact } from "../store/database";
import Decimal from "decimal.js";
import { applyAccountEvent, initialAccountState, parseAccountState, tradingGate as gateOf, type AccountEvent, type AccountState } from "../core/trading/account";
import type { TradingGate } from "../core/trading/approval-check";
import type { Intent } from "../core/trading/intents";
import { writeIntents, type Tx } from "../store/outbox";
import { UserError, type App } from "./context";

/** The account state (drawdown rules and pauses) lives in one Setting row, as JSON. */
const ACCOUNT_KEY = "risk.account";
/** Where earlier versions kept the same facts; read once when the new key is missing. */
const LEGACY_PAUSE_KEY = "trading.pause";
const LEGACY_DRAWDOWN_KEY = "risk.drawdown";

async function readJson(tx: Tx, key: string): Promise<{ found: boolean; value: unknown }> {
  const row = await tx.setting.findUnique({ where: { key } });
  if (row === null) return { found: false, value: undefined };
  try {
    return { found: true, value: JSON.parse(row.value) as unknown };
  } catch {
    return { found: true, value: row.value };
  }
}

async function legacyAccount(tx: Tx, app: App): Promise<AccountState | null> {
  const [pause, drawdown] = await Promise.all([readJson(tx, LEGACY_PAUSE_KEY), readJson(tx, LEGACY_DRAWDOWN_KEY)]);
  if (!pause.found && !drawdown.found) return null;
  const d = (drawdown.value ?? {}) as Partial<AccountState>;
  const p = (pause.value ?? {}) as { paused?: boolean; reason?: string; by?: string; at?: number };
  return {
    ...initialAccountState(new Decimal(app.settings.startingEquity)),
    ...(typeof d.peakEquity === "number" ? { peakEquity: d.peakEquity } : {}),
    sizeHalved: d.sizeHalved === true,
    pausedUntil: typeof d.pausedUntil === "number" ? d.pausedUntil : null,
    pausedThisDescent: d.pausedThisDescent === true,
    manualPause: p.paused === true ? { by: p.by ?? "someone", reason: p.reason ?? "", at: p.at ?? 0, requiresAdmin: false } : null,
  };
}

/**
 * The stored account state. Anything unreadable fails safe — paused until an admin resumes, at
 * half size — and that fail-safe state is written back at once with a message to the chats, so
 * the alarm is raised once and the pause holds across restarts.
 */
export async function readAccount(app: App, tx: Tx = app.db): Promise<AccountState> {
  const stored = await readJson(tx, ACCOUNT_KEY);
  if (!stored.found) return (await legacyAccount(tx, app)) ?? initialAccountState(new Decimal(app.settings.startingEquity));
  const parsed = parseAccountState(stored.value, app.clock());
  if (!parsed.corrupt) return parsed.state;
  app.logger.error({ key: ACCOUNT_KEY }, "the stored risk state is unreadable: trading stays paused until an admin sends /resume");
  const text = "🛑 The stored risk state (drawdown and pause) could not be read, so trading is paused at half size to be safe. Check the bot's log, then an admin can send /resume.";
  await saveAccount(tx, parsed.state, [{ kind: "text", key: `risk-state-corrupt-${app.clock()}`, text, event: "data" }], app.clock());
  return parsed.state;
}

async function saveAccount(tx: Tx, state: AccountState, intents: readonly Intent[], now: number): Promise<string[]> {
  const value = JSON.stringify(state);
  await tx.setting.upsert({ where: { key: ACCOUNT_KEY }, create: { key: ACCOUNT_KEY, value }, update: { value } });
  return writeIntents(tx, intents, now);
}

/**
 * Applies an account event (equity mark, pause, resume) in one transaction with the intents it
 * causes (messages, a model review), then dispatches them. A refusal becomes a UserError.
 */
export async function applyAccount(app: App, event: AccountEvent): Promise<{ state: AccountState; intents: readonly Intent[] }> {
  const now = app.clock();
  const { result, ids } = await transact(app.db, async (tx) => {
    const current = await readAccount(app, tx);
    const outcome = applyAccountEvent(current, event, now, app.settings.risk);
    if (!outcome.ok) return { result: outcome, ids: [] as string[] };
    // Most equity marks change nothing: no write, so the monitor does not churn the row every minute.
    if (outcome.intents.length === 0 && JSON.stringify(outcome.state) === JSON.stringify(current)) return { result: outcome, ids: [] };
    return { result: outcome, ids: await saveAccount(tx, outcome.state, outcome.intents, now) };
  });
  if (!result.ok) throw new UserError(result.reason);
  await app.dispatch(ids);
  return { state: result.state, intents: result.intents };
}

/** Whether new trades may be proposed, approved or executed now. */
export async function tradingGate(app: App, tx: Tx = app.db): Promise<TradingGate> {
  return gateOf(await readAccount(app, tx), app.clock());
}
