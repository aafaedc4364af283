import type { RiskParams } from "./sizing";

/** The durable drawdown state (stored in settings, so it survives restarts). */
export interface DrawdownState {
  readonly peakEquity: number;
  readonly sizeHalved: boolean;
  /** Epoch ms until which the drawdown rule pauses trading, or null. */
  readonly pausedUntil: number | null;
  /** The pause fires once per descent; a new equity peak re-arms it. */
  readonly pausedThisDescent: boolean;
}

export type DrawdownEvent =
  | { readonly kind: "size-halved"; readonly drawdown: number }
  | { readonly kind: "size-restored"; readonly drawdown: number }
  | { readonly kind: "paused"; readonly drawdown: number; readonly until: number }
  | { readonly kind: "pause-ended" };

export interface DrawdownUpdate {
  readonly state: DrawdownState;
  readonly drawdown: number;
  readonly events: readonly DrawdownEvent[];
}

export function initialDrawdownState(equity: number): DrawdownState {
  return { peakEquity: equity, sizeHalved: false, pausedUntil: null, pausedThisDescent: false };
}

/**
 * Applies the drawdown rules to a new equity reading. Size is halved beyond `halveSizeDrawdown`
 * and restored once drawdown is back under half of it (the hysteresis stops flapping around the
 * line); beyond `pauseDrawdown` trading pauses for `pauseHours`, once per descent: after the
 * pause and the model review, trading resumes at half size rather than pausing again at once.
 */
export function updateDrawdown(previous: DrawdownState, equity: number, now: number, params: RiskParams): DrawdownUpdate {
  const events: DrawdownEvent[] = [];
  const newPeak = equity > previous.peakEquity;
  const peakEquity = newPeak ? equity : previous.peakEquity;
  const drawdown = peakEquity > 0 ? Math.max(0, (peakEquity - equity) / peakEquity) : 0;

  let sizeHalved = previous.sizeHalved;
  if (!sizeHalved && drawdown >= params.halveSizeDrawdown) {
    sizeHalved = true;
    events.push({ kind: "size-halved", drawdown });
  } else if (sizeHalved && drawdown < params.halveSizeDrawdown / 2) {
    sizeHalved = false;
    events.push({ kind: "size-restored", drawdown });
  }

  let pausedUntil = previous.pausedUntil;
  if (pausedUntil !== null && now >= pausedUntil) {
    pausedUntil = null;
    events.push({ kind: "pause-ended" });
  }
  let pausedThisDescent = newPeak ? false : previous.pausedThisDescent;
  if (drawdown >= params.pauseDrawdown && !pausedThisDescent) {
    pausedUntil = now + params.pauseHours * 3_600_000;
    pausedThisDescent = true;
    events.push({ kind: "paused", drawdown, until: pausedUntil });
  }

  return { state: { peakEquity, sizeHalved, pausedUntil, pausedThisDescent }, drawdown, events };
}

export function isDrawdownPaused(state: DrawdownState, now: number): boolean {
  return state.pausedUntil !== null && now < state.pausedUntil;
}
