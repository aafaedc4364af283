import { z } from "zod";
import { initialDrawdownState, isDrawdownPaused, type DrawdownState } from "../core/risk/drawdown";
import { readSetting, writeSetting } from "../store/settings";
import type { App } from "./context";

const PAUSE_KEY = "trading.pause";
const DRAWDOWN_KEY = "risk.drawdown";

const manualPauseSchema = z.object({ paused: z.boolean(), reason: z.string(), by: z.string(), at: z.number() });
export type ManualPause = z.infer<typeof manualPauseSchema>;

const drawdownSchema = z.object({
  peakEquity: z.number(), sizeHalved: z.boolean(), pausedUntil: z.number().nullable(), pausedThisDescent: z.boolean(),
});

export async function readManualPause(app: App): Promise<ManualPause | null> {
  const pause = await readSetting(app.db, PAUSE_KEY, manualPauseSchema);
  return pause?.paused === true ? pause : null;
}

export async function writeManualPause(app: App, pause: ManualPause): Promise<void> {
  await writeSetting(app.db, PAUSE_KEY, pause);
}

export async function readDrawdownState(app: App): Promise<DrawdownState> {
  return (await readSetting(app.db, DRAWDOWN_KEY, drawdownSchema)) ?? initialDrawdownState(app.settings.startingEquity);
}

export async function writeDrawdownState(app: App, state: DrawdownState): Promise<void> {
  await writeSetting(app.db, DRAWDOWN_KEY, state);
}

export interface TradingGate {
  readonly open: boolean;
  /** Plain words for the chat when closed. */
  readonly reason: string;
}

/** Whether new trades may be proposed or executed now: no manual pause and no drawdown pause. */
export async function tradingGate(app: App): Promise<TradingGate> {
  const now = app.clock();
  const manual = await readManualPause(app);
  if (manual) return { open: false, reason: `Trading is paused by ${manual.by}${manual.reason ? ` (${manual.reason})` : ""}. Send /resume to lift the pause.` };
  const drawdown = await readDrawdownState(app);
  if (isDrawdownPaused(drawdown, now)) {
    return { open: false, reason: `Trading is paused by the drawdown rule until ${new Date(drawdown.pausedUntil ?? now).toISOString()} while the model is reviewed. It resumes on its own.` };
  }
  return { open: true, reason: "Trading is active." };
}
