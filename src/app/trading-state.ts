import { transact } from "../store/database";
import Decimal from "decimal.js";
import { applyAccountEvent, initialAccountState, parseAccountState, tradingGate as gateOf, type AccountEvent, type AccountState } from "../core/trading/account";
import type { TradingGate } from "../core/trading/approval-check";
import type { Intent } from "../core/trading/intents";
import { writeIntents, type Tx } from "../store/outbox";
import { compareAndSetSetting, ensureSettingRow, GuardConflict, readCommitted, retryOnConflict } from "../store/guard-rows";
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
 * the alarm is raised once and the pause holds across restarts (written only over the unreadable
 * value itself: of several processes reading it at once, one writes it and tells the chats).
 */
export async function readAccount(app: App, tx: Tx = app.db): Promise<AccountState> {
  const row = await tx.setting.findUnique({ where: { key: ACCOUNT_KEY } });
  if (row === null) return (await legacyAccount(tx, app)) ?? initialAccountState(new Decimal(app.settings.startingEquity));
  const parsed = parseRaw(app, row.value);
  if (!parsed.corrupt) return parsed.state;
  app.logger.error({ key: ACCOUNT_KEY }, "the stored risk state is unreadable: trading stays paused until an admin sends /resume");
  const text = "🛑 The stored risk state (drawdown and pause) could not be read, so trading is paused at half size to be safe. Check the bot's log, then an admin can send /resume.";
  const now = app.clock();
  if (await compareAndSetSetting(tx, ACCOUNT_KEY, row.value, JSON.stringify(parsed.state))) {
    await writeIntents(tx, [{ kind: "text", key: `risk-state-corrupt-${now}`, text, event: "data" }], now);
  }
  return parsed.state;
}

function parseRaw(app: App, raw: string): ReturnType<typeof parseAccountState> {
  let value: unknown = raw;
  try {
    value = JSON.parse(raw) as unknown;
  } catch {
    // Not JSON: parseAccountState calls a bare string corrupt.
  }
  return parseAccountState(value, app.clock());
}

/**
 * The account row as stored: its state and its exact text, which a later write is conditional on.
 * The row is made first when there is none (from the legacy keys, else the starting equity), so
 * there is always a value to compare against; an unreadable one is replaced by the fail-safe state
 * first (`readAccount`).
 */
export async function readAccountRow(app: App): Promise<{ state: AccountState; raw: string }> {
  if ((await app.db.setting.findUnique({ where: { key: ACCOUNT_KEY }, select: { key: true } })) === null) {
    const initial = (await legacyAccount(app.db, app)) ?? initialAccountState(new Decimal(app.settings.startingEquity));
    await ensureSettingRow(app.db, ACCOUNT_KEY, JSON.stringify(initial));
  }
  for (let tries = 0; tries < 3; tries += 1) {
    const read = await readCommitted(app.db, async (tx) => {
      const row = await tx.setting.findUnique({ where: { key: ACCOUNT_KEY } });
      return row === null ? null : { raw: row.value, parsed: parseRaw(app, row.value) };
    });
    if (read === null) break;
    if (!read.parsed.corrupt) return { state: read.parsed.state, raw: read.raw };
    await transact(app.db, (tx) => readAccount(app, tx));
  }
  throw new Error(`the ${ACCOUNT_KEY} row could not be read back after writing it`);
}

/**
 * In a write transaction, first: the account row still holds `raw` (nobody paused, resumed or
 * moved the drawdown state since it was read). It is written with its own value, so it is also
 * held until commit: a /pause waits for this transaction, never slips between its read and write.
 */
export async function confirmAccountUnchanged(tx: Tx, raw: string): Promise<void> {
  if (!(await compareAndSetSetting(tx, ACCOUNT_KEY, raw, raw))) throw new GuardConflict("the account state (pause, drawdown)");
}

/**
 * Applies an account event (equity mark, pause, resume) with the intents it causes (messages, a
 * model review), then dispatches them. Read, decide, then one transaction that writes the new
 * state only over the exact value read (a compare-and-set): two processes marking equity, or a
 * mark and a /pause at once, never overwrite each other — the loser reads again and re-applies.
 * A refusal becomes a UserError.
 */
export async function applyAccount(app: App, event: AccountEvent): Promise<{ state: AccountState; intents: readonly Intent[] }> {
  const now = app.clock();
  const { result, ids } = await retryOnConflict("the account state", async () => {
    const { state: current, raw } = await readAccountRow(app);
    const outcome = applyAccountEvent(current, event, now, app.settings.risk);
    if (!outcome.ok) return { result: outcome, ids: [] as string[] };
    const next = JSON.stringify(outcome.state);
    // Most equity marks change nothing: no write, so the monitor does not churn the row every minute.
    if (outcome.intents.length === 0 && next === JSON.stringify(current)) return { result: outcome, ids: [] };
    const written = await transact(app.db, async (tx) => {
      if (!(await compareAndSetSetting(tx, ACCOUNT_KEY, raw, next))) throw new GuardConflict("the account state");
      return writeIntents(tx, outcome.intents, now);
    });
    return { result: outcome, ids: written };
  });
  if (!result.ok) throw new UserError(result.reason);
  await app.dispatch(ids);
  return { state: result.state, intents: result.intents };
}

/** Whether new trades may be proposed, approved or executed now. */
export async function tradingGate(app: App, tx: Tx = app.db): Promise<TradingGate> {
  return gateOf(await readAccount(app, tx), app.clock());
}
